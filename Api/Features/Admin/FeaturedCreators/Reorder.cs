using FastEndpoints;
using FluentValidation;
using Npgsql;
using Platform.Api.Caching;
using Platform.Api.Features.Discovery.Shared;
using Platform.Core.Discovery;

namespace Platform.Api.Features.Admin.FeaturedCreators;

public sealed class ReorderRequest
{
    /// <summary>Entry ids in the new display order; entries not listed follow, in their current order.</summary>
    public List<Guid> Ids { get; set; } = [];
}

public sealed class ReorderValidator : Validator<ReorderRequest>
{
    public ReorderValidator()
    {
        RuleFor(r => r.Ids).NotEmpty().Must(ids => ids.Distinct().Count() == ids.Count).WithMessage("ids must be distinct");
        RuleFor(r => r.Ids.Count).LessThanOrEqualTo(1000);
    }
}

/// <summary><c>PUT /api/admin/featured-creators/order</c>: set the display order in one transaction.</summary>
public sealed class Reorder(NpgsqlDataSource dataSource, PublicCache cache) : Endpoint<ReorderRequest, ListResponse>
{
    public override void Configure()
    {
        Put("/api/admin/featured-creators/order");
        Roles("admin");
        Description(d => d.WithTags("Admin").ProducesProblemDetails(400));
        Summary(s => s.Summary = "Reorder the featured creators");
    }

    public override async Task HandleAsync(ReorderRequest request, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand("""
            WITH given AS (
                SELECT g.id, g.ord FROM unnest(@ids::uuid[]) WITH ORDINALITY AS g(id, ord)
                WHERE EXISTS (SELECT 1 FROM featured_creator f WHERE f.id = g.id)
            ), others AS (
                SELECT f.id, (SELECT count(*) FROM given) + row_number() OVER (ORDER BY f.position, f.featured_from, f.id) AS ord
                FROM featured_creator f WHERE f.id NOT IN (SELECT id FROM given)
            ), updated AS (
                UPDATE featured_creator f SET position = x.ord
                FROM (SELECT id, ord FROM given UNION ALL SELECT id, ord FROM others) x
                WHERE f.id = x.id AND (SELECT count(*) FROM given) = cardinality(@ids::uuid[])
                RETURNING 1
            )
            SELECT (SELECT count(*) FROM given) = cardinality(@ids::uuid[])
            """);
        command.Parameters.AddWithValue("ids", request.Ids.ToArray());
        if (!(bool)(await command.ExecuteScalarAsync(ct))!)
        {
            AddError(r => r.Ids, "ids contains an entry that does not exist");
            ThrowIfAnyErrors();
        }

        await cache.InvalidateAsync([DiscoveryCacheTags.Featured], ct);
        await using var list = dataSource.CreateCommand(FeaturedEntries.Select + " ORDER BY f.position, f.featured_from, f.id");
        await using var reader = await list.ExecuteReaderAsync(ct);
        var items = new List<FeaturedEntry>();
        while (await reader.ReadAsync(ct))
        {
            items.Add(FeaturedEntries.Read(reader));
        }

        await Send.OkAsync(new ListResponse(items), ct);
    }
}
