using FastEndpoints;
using FluentValidation;
using Npgsql;
using Platform.Api.Caching;
using Platform.Api.Features.Discovery.Shared;
using Platform.Api.Http;
using Platform.Core.Discovery;

namespace Platform.Api.Features.Admin.FeaturedCreators;

public sealed class AddRequest
{
    public string Username { get; set; } = "";

    /// <summary>Display position (1 = first); default: after the last.</summary>
    public int? Position { get; set; }

    /// <summary>Start of the feature (default now) and optional end.</summary>
    public DateTimeOffset? FeaturedFrom { get; set; }

    public DateTimeOffset? FeaturedUntil { get; set; }

    public string? Note { get; set; }
}

public sealed class AddValidator : Validator<AddRequest>
{
    public AddValidator()
    {
        RuleFor(r => r.Username).NotEmpty().MaximumLength(40);
        RuleFor(r => r.Position).GreaterThan(0).When(r => r.Position is not null);
        RuleFor(r => r.FeaturedUntil)
            .Must((r, until) => until is null || until > (r.FeaturedFrom ?? DateTimeOffset.UtcNow))
            .WithMessage("featured_until must be after featured_from");
        RuleFor(r => r.Note).MaximumLength(1000);
    }
}

/// <summary><c>POST /api/admin/featured-creators</c>: feature a public creator (optionally scheduled).</summary>
public sealed class Add(NpgsqlDataSource dataSource, PublicCache cache) : Endpoint<AddRequest, FeaturedEntry>
{
    public override void Configure()
    {
        Post("/api/admin/featured-creators");
        Roles("admin");
        Description(d => d.WithTags("Admin").ProducesProblemDetails(400).ProducesProblemDetails(404));
        Summary(s => s.Summary = "Feature a creator, now or scheduled");
    }

    public override async Task HandleAsync(AddRequest request, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand("""
            WITH target AS (
                SELECT id FROM users WHERE lower(username) = lower(@username) AND username IS NOT NULL AND is_public
            ), shifted AS (
                -- Inserting at a position moves the entries from there on one down.
                UPDATE featured_creator SET position = position + 1
                WHERE @position IS NOT NULL AND position >= @position AND EXISTS (SELECT 1 FROM target)
                RETURNING 1
            )
            INSERT INTO featured_creator (user_id, position, featured_from, featured_until, note, created_by)
            SELECT u.id,
                   coalesce(@position, (SELECT coalesce(max(position), 0) + 1 FROM featured_creator)),
                   coalesce(@from, now()), @until, @note,
                   (SELECT id FROM users WHERE id = @admin)
            FROM target u
            RETURNING id
            """);
        command.Parameters.AddWithValue("username", request.Username);
        command.Parameters.Add(new NpgsqlParameter<int?>("position", request.Position) { NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Integer });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset?>("from", request.FeaturedFrom) { NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.TimestampTz });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset?>("until", request.FeaturedUntil) { NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.TimestampTz });
        command.Parameters.Add(new NpgsqlParameter<string?>("note", request.Note) { NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter<Guid?>("admin", Guid.TryParse(User.FindFirst("sub")?.Value, out var admin) ? admin : null)
        { NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Uuid });
        if (await command.ExecuteScalarAsync(ct) is not Guid id)
        {
            await Problems.NotFoundAsync(HttpContext, $"No public creator '{request.Username}'.");
            return;
        }

        await cache.InvalidateAsync([DiscoveryCacheTags.Featured], ct);
        await Send.CreatedAtAsync<List>(null, await FeaturedEntries.GetAsync(dataSource, id, ct), cancellation: ct);
    }
}
