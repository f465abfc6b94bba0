using System.ComponentModel;
using FastEndpoints;
using Microsoft.Extensions.Caching.Hybrid;
using Npgsql;
using Platform.Api.Features.Discovery.Shared;
using Platform.Core.Discovery;

namespace Platform.Api.Features.Discovery.ListFeaturedCreators;

public sealed record FeaturedCreator(
    string Username, string? DisplayName, string? AvatarUrl, string? Bio, int Position, DateTimeOffset FeaturedFrom, DateTimeOffset? FeaturedUntil);

public sealed record Response(IReadOnlyList<FeaturedCreator> Items);

/// <summary>The current and scheduled featured creators, cached as a whole; the active ones are picked per request.</summary>
[ImmutableObject(true)]
public sealed class FeaturedSchedule
{
    public required FeaturedCreator[] Entries { get; init; }
}

/// <summary>
/// <c>GET /api/public/creators/featured</c>: creators an admin features now (featured_from &lt;= now &lt; featured_until),
/// in position order. The cache holds the whole schedule, so a scheduled start or end shows without invalidation.
/// </summary>
public sealed class Endpoint(AnonymousDataSource anonymous, HybridCache hybridCache, Microsoft.Extensions.Options.IOptions<DiscoveryOptions> options, TimeProvider clock)
    : EndpointWithoutRequest<Response>
{
    private readonly NpgsqlDataSource dataSource = anonymous.DataSource;

    private static readonly string[] CacheTags = [DiscoveryCacheTags.Featured, DiscoveryCacheTags.Content];

    public override void Configure()
    {
        Get("/api/public/creators/featured");
        AllowAnonymous();
        Options(x => x.RequireRateLimiting(DiscoveryServiceExtensions.PublicRateLimitPolicy));
        Description(d => d.WithTags("Discovery").Produces<Response>(200, "application/json").ProducesProblemDetails(429));
        Summary(s => s.Summary = "Creators featured by the editors, in display order");
    }

    public override async Task HandleAsync(CancellationToken ct)
    {
        var schedule = options.Value.CacheEnabled
            ? await hybridCache.GetOrCreateAsync("pub:featured", dataSource, LoadAsync,
                new HybridCacheEntryOptions
                {
                    Expiration = TimeSpan.FromSeconds(options.Value.DistributedCacheSeconds),
                    LocalCacheExpiration = TimeSpan.FromSeconds(options.Value.LocalCacheSeconds),
                }, CacheTags, ct)
            : await LoadAsync(dataSource, ct);
        var now = clock.GetUtcNow();
        var active = schedule.Entries
            .Where(e => e.FeaturedFrom <= now && (e.FeaturedUntil is null || e.FeaturedUntil > now))
            .DistinctBy(e => e.Username, StringComparer.OrdinalIgnoreCase)
            .ToList();
        await HttpCaching.WriteAsync(HttpContext, CachedResponse.Json(new Response(active)), HttpCaching.Lists, ct);
    }

    private static async ValueTask<FeaturedSchedule> LoadAsync(NpgsqlDataSource dataSource, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand("""
            SELECT u.username, u.display_name, u.avatar_url, u.bio, f.position, f.featured_from, f.featured_until
            FROM featured_creator f
            JOIN users u ON u.id = f.user_id
            WHERE u.is_public AND u.username IS NOT NULL AND (f.featured_until IS NULL OR f.featured_until > now())
            ORDER BY f.position, f.featured_from, f.id
            LIMIT 1000
            """);
        await using var reader = await command.ExecuteReaderAsync(ct);
        var entries = new List<FeaturedCreator>();
        while (await reader.ReadAsync(ct))
        {
            entries.Add(new FeaturedCreator(
                reader.GetString(0),
                reader.IsDBNull(1) ? null : reader.GetString(1),
                reader.IsDBNull(2) ? null : reader.GetString(2),
                reader.IsDBNull(3) ? null : reader.GetString(3),
                reader.GetInt32(4),
                reader.GetFieldValue<DateTimeOffset>(5),
                reader.IsDBNull(6) ? null : reader.GetFieldValue<DateTimeOffset>(6)));
        }

        return new FeaturedSchedule { Entries = [.. entries] };
    }
}
