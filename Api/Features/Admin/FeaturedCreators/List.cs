using FastEndpoints;
using Npgsql;

namespace Platform.Api.Features.Admin.FeaturedCreators;

public sealed record ListResponse(IReadOnlyList<FeaturedEntry> Items);

/// <summary><c>GET /api/admin/featured-creators</c>: every curation entry (active, scheduled, expired), in position order.</summary>
public sealed class List(NpgsqlDataSource dataSource) : EndpointWithoutRequest<ListResponse>
{
    public override void Configure()
    {
        Get("/api/admin/featured-creators");
        Roles("admin");
        Description(d => d.WithTags("Admin"));
        Summary(s => s.Summary = "All featured-creator entries, including scheduled and expired ones");
    }

    public override async Task HandleAsync(CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand(FeaturedEntries.Select + " ORDER BY f.position, f.featured_from, f.id");
        await using var reader = await command.ExecuteReaderAsync(ct);
        var items = new List<FeaturedEntry>();
        while (await reader.ReadAsync(ct))
        {
            items.Add(FeaturedEntries.Read(reader));
        }

        await Send.OkAsync(new ListResponse(items), ct);
    }
}
