using FastEndpoints;
using FluentValidation;
using Npgsql;
using Platform.Api.Caching;
using Platform.Api.Features.Discovery.Shared;
using Platform.Api.Http;
using Platform.Core.Discovery;

namespace Platform.Api.Features.Admin.FeaturedCreators;

public sealed class UpdateRequest
{
    public Guid Id { get; set; }

    public int? Position { get; set; }

    public DateTimeOffset? FeaturedFrom { get; set; }

    public DateTimeOffset? FeaturedUntil { get; set; }

    /// <summary>True removes the end date (featured until removed).</summary>
    public bool ClearUntil { get; set; }

    public string? Note { get; set; }
}

public sealed class UpdateValidator : Validator<UpdateRequest>
{
    public UpdateValidator()
    {
        RuleFor(r => r.Position).GreaterThan(0).When(r => r.Position is not null);
        RuleFor(r => r.FeaturedUntil)
            .Must((r, until) => until is null || r.FeaturedFrom is null || until > r.FeaturedFrom)
            .WithMessage("featured_until must be after featured_from");
        RuleFor(r => r.Note).MaximumLength(1000);
    }
}

/// <summary><c>PATCH /api/admin/featured-creators/{id}</c>: move or reschedule an entry; absent fields stay.</summary>
public sealed class Update(NpgsqlDataSource dataSource, PublicCache cache) : Endpoint<UpdateRequest, FeaturedEntry>
{
    public override void Configure()
    {
        Patch("/api/admin/featured-creators/{id}");
        Roles("admin");
        Description(d => d.WithTags("Admin").ProducesProblemDetails(400).ProducesProblemDetails(404));
        Summary(s => s.Summary = "Change an entry's position or schedule");
    }

    public override async Task HandleAsync(UpdateRequest request, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand("""
            UPDATE featured_creator
            SET position = coalesce(@position, position),
                featured_from = coalesce(@from, featured_from),
                featured_until = CASE WHEN @clear_until THEN NULL ELSE coalesce(@until, featured_until) END,
                note = coalesce(@note, note)
            WHERE id = @id
            RETURNING id
            """);
        command.Parameters.AddWithValue("id", request.Id);
        command.Parameters.Add(new NpgsqlParameter<int?>("position", request.Position) { NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Integer });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset?>("from", request.FeaturedFrom) { NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.TimestampTz });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset?>("until", request.FeaturedUntil) { NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.TimestampTz });
        command.Parameters.AddWithValue("clear_until", request.ClearUntil);
        command.Parameters.Add(new NpgsqlParameter<string?>("note", request.Note) { NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        try
        {
            if (await command.ExecuteScalarAsync(ct) is null)
            {
                await Problems.NotFoundAsync(HttpContext);
                return;
            }
        }
        catch (PostgresException error) when (error.SqlState == PostgresErrorCodes.CheckViolation)
        {
            AddError(r => r.FeaturedUntil!, "featured_until must be after featured_from");
            ThrowIfAnyErrors();
        }

        await cache.InvalidateAsync([DiscoveryCacheTags.Featured], ct);
        await Send.OkAsync((await FeaturedEntries.GetAsync(dataSource, request.Id, ct))!, ct);
    }
}
