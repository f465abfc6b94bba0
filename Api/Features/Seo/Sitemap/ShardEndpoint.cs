using FastEndpoints;
using Npgsql;
using Platform.Api.Caching;
using Platform.Api.Features.Discovery;
using Platform.Api.Features.Discovery.Shared;
using Platform.Api.Features.Seo.Shared;
using Platform.Api.Http;
using Platform.Core.Discovery;

namespace Platform.Api.Features.Seo.Sitemap;

/// <summary>
/// <c>GET /sitemaps/content-{n}.xml</c> and <c>/sitemaps/creators-{n}.xml</c> (n from 1): one shard's URLs with lastmod;
/// <c>/sitemaps/categories-1.xml</c> and <c>/sitemaps/tags-1.xml</c>: the list pages (<see cref="SitemapListings"/>).
/// </summary>
public sealed class ShardEndpoint(AnonymousDataSource anonymous, SitemapPlanner planner, PublicCache cache, SeoContext seo) : EndpointWithoutRequest
{
    private readonly NpgsqlDataSource dataSource = anonymous.DataSource;

    private static readonly string[] CacheTags = [DiscoveryCacheTags.Content];

    public override void Configure()
    {
        Get("/sitemaps/{kind}-{n}.xml");
        AllowAnonymous();
        Options(x => x.RequireRateLimiting(DiscoveryServiceExtensions.PublicRateLimitPolicy));
        Description(d => d.WithTags("Seo").Produces(200, contentType: "application/xml").ProducesConditionalAndRateLimited());
        Summary(s => s.Summary = "One sitemap shard (sitemaps.org urlset) of creator or content pages");
    }

    public override async Task HandleAsync(CancellationToken ct)
    {
        var kind = Route<string>("kind", isRequired: false) ?? string.Empty;
        var n = int.TryParse(Route<string>("n", isRequired: false), out var parsed) ? parsed : 0;
        var plan = SitemapPlanner.Kinds.Contains(kind) ? await planner.GetAsync(kind, ct) : null;
        if (plan is null || n < 1 || n > plan.Shards.Length)
        {
            await Problems.NotFoundAsync(HttpContext, "No such sitemap.");
            return;
        }

        var shard = plan.Shards[n - 1];
        var baseUrl = seo.BaseUrl(HttpContext);
        // A list page file (categories, tags) is one grouped pass over every public item (seconds at a million items), so it
        // follows its plan (recomputed at most once per Discovery:SitemapPlanSeconds: the key carries the plan's count and
        // lastmod) instead of every list flush; the id-range shards are index range scans and follow the flushes.
        var listing = SitemapPlanner.IsListing(kind);
        var response = await cache.GetOrCreateAsync(
            listing
                ? $"sitemap:{kind}:{planner.ShardSize}:{shard.Count}:{shard.LastModified.UtcTicks}:{baseUrl}"
                : $"sitemap:{kind}:{planner.ShardSize}:{n}:{shard.FirstId}:{baseUrl}",
            (kind, shard, baseUrl, dataSource, size: planner.ShardSize),
            static async (s, token) => CachedResponse.FromBytes(
                SitemapWriter.UrlSet(SitemapPlanner.IsListing(s.kind)
                    ? await SitemapListings.ReadAsync(s.dataSource, s.kind, s.baseUrl, s.size, token)
                    : await ReadAsync(s.dataSource, s.kind, s.shard, s.baseUrl, s.size, token)),
                "application/xml; charset=utf-8"),
            listing ? [] : CacheTags,
            ct);
        await HttpCaching.WriteAsync(HttpContext, response, HttpCaching.Reference, ct);
    }

    private static async Task<List<(string, DateTimeOffset)>> ReadAsync(
        NpgsqlDataSource dataSource, string kind, SitemapShard shard, string baseUrl, int size, CancellationToken ct)
    {
        var sql = kind == SitemapPlanner.Content
            ? """
              SELECT '/c/' || c.slug, greatest(c.updated_at, c.published_at)
              FROM content_item c JOIN users u ON u.id = c.creator_id
              WHERE c.id >= @first AND (@next::uuid IS NULL OR c.id < @next)
                AND c.status = 'published' AND u.is_public AND u.username IS NOT NULL
              ORDER BY c.id
              LIMIT @size
              """
            : """
              SELECT '/@' || u.username, coalesce(u.profile_updated_at, u.created_at)
              FROM users u
              WHERE u.id >= @first AND (@next::uuid IS NULL OR u.id < @next) AND u.is_public AND u.username IS NOT NULL
              ORDER BY u.id
              LIMIT @size
              """;
        await using var command = dataSource.CreateCommand(sql);
        // The first shard is open below (content created since the plan with a smaller id belongs to it).
        command.Parameters.AddWithValue("first", shard.Index == 0 ? Guid.Empty : shard.FirstId);
        command.Parameters.Add(new NpgsqlParameter<Guid?>("next", shard.NextFirstId) { NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Uuid });
        command.Parameters.AddWithValue("size", size);
        command.CommandTimeout = 120;
        await using var reader = await command.ExecuteReaderAsync(ct);
        var urls = new List<(string, DateTimeOffset)>(shard.Count);
        while (await reader.ReadAsync(ct))
        {
            urls.Add((baseUrl + reader.GetString(0), reader.GetFieldValue<DateTimeOffset>(1)));
        }

        return urls;
    }
}
