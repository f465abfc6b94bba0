using FastEndpoints;
using Npgsql;
using Platform.Api.Caching;
using Platform.Api.Features.Discovery.Shared;
using Platform.Core.Discovery;

namespace Platform.Api.Features.Discovery.ListTrending;

/// <summary>
/// <c>GET /api/public/trending</c>: the precomputed trending list of a window (24h | 7d), optionally of one category
/// (idx_trending_content_window[_category]_score). Anonymous, cached; refreshed by the Workers' trending tick.
/// </summary>
public sealed class Endpoint(AnonymousDataSource anonymous, PublicCache cache) : Endpoint<Request>
{
    private readonly NpgsqlDataSource dataSource = anonymous.DataSource;

    private static readonly string[] CacheTags = [DiscoveryCacheTags.Content, DiscoveryCacheTags.Trending];

    public override void Configure()
    {
        Get("/api/public/trending");
        AllowAnonymous();
        Options(x => x.RequireRateLimiting(DiscoveryServiceExtensions.PublicRateLimitPolicy));
        Description(d => d.WithTags("Discovery").Produces<Response>(200, "application/json").ProducesProblemDetails(400).ProducesConditionalAndRateLimited());
        Summary(s => s.Summary = "Trending content of the last 24 hours or 7 days, optionally in one category");
    }

    public override async Task HandleAsync(Request request, CancellationToken ct)
    {
        var window = request.Window ?? TrendingWindows.Day;
        var category = string.IsNullOrWhiteSpace(request.Category) ? null : request.Category.Trim().ToLowerInvariant();
        var limit = request.Limit ?? 20;
        var response = await cache.GetOrCreateAsync(
            $"trending:{window}:{category}:{limit}",
            (window, category, limit, dataSource),
            static async (s, token) => CachedResponse.Json(await LoadAsync(s.dataSource, s.window, s.category, s.limit, token)),
            CacheTags,
            ct);
        await HttpCaching.WriteAsync(HttpContext, response, HttpCaching.Lists, ct);
    }

    private static async Task<Response> LoadAsync(NpgsqlDataSource dataSource, string window, string? category, int limit, CancellationToken ct)
    {
        var sql = $"""
            SELECT {ContentCardReader.Columns}, tc.score, tc.click_count
            FROM trending_content tc
            JOIN {ContentCardReader.From} ON c.id = tc.content_id
            WHERE tc.time_window = @window AND {ContentCardReader.Visible}
            {(category is null ? "" : "AND tc.category_id = (SELECT id FROM content_category WHERE slug = @category)")}
            ORDER BY tc.score DESC, tc.content_id
            LIMIT @limit
            """;
        await using var command = dataSource.CreateCommand(sql);
        command.Parameters.AddWithValue("window", window);
        command.Parameters.AddWithValue("limit", limit);
        if (category is not null)
        {
            command.Parameters.AddWithValue("category", category);
        }

        await using var reader = await command.ExecuteReaderAsync(ct);
        var items = new List<TrendingItem>(limit);
        while (await reader.ReadAsync(ct))
        {
            // Ranks are positions in this (visible, filtered) list; the stored rank is the global one.
            items.Add(new TrendingItem(
                items.Count + 1,
                Math.Round(reader.GetDouble(ContentCardReader.ColumnCount), 6),
                reader.GetInt32(ContentCardReader.ColumnCount + 1),
                ContentCardReader.Read(reader)));
        }

        return new Response(window, category, items);
    }
}
