using FastEndpoints;
using Npgsql;
using Platform.Api.Caching;
using Platform.Api.Features.Discovery.Shared;
using Platform.Api.Http;
using Platform.Core.Discovery;

namespace Platform.Api.Features.Discovery.Search;

/// <summary>
/// <c>GET /api/public/search?q=</c>: ranked full-text search with a typo-tolerant fallback. Anonymous, cached by the
/// bounded query (<see cref="SearchQuery.Bound"/>), rate-limited per client by <see cref="RateLimits.SearchPolicy"/>.
/// </summary>
public sealed class Endpoint(AnonymousDataSource anonymous, PublicCache cache, CommonLexemes common) : Endpoint<Request>
{
    private readonly NpgsqlDataSource dataSource = anonymous.DataSource;

    private static readonly string[] CacheTags = [DiscoveryCacheTags.Content];

    public override void Configure()
    {
        Get("/api/public/search");
        AllowAnonymous();
        Options(x => x.RequireRateLimiting(RateLimits.SearchPolicy) // its own, lower budget: a miss costs several queries
            .WithMetadata(new TextCleanedByEndpoint("q"))); // any text is a harmless search: SearchQuery.Normalize
        Description(d => d.WithTags("Discovery").Produces<Response>(200, "application/json").ProducesProblemDetails(400).ProducesConditionalAndRateLimited());
        Summary(s => s.Summary = "Search public content: ranked full text, with a typo-tolerant fallback on titles");
    }

    public override async Task HandleAsync(Request request, CancellationToken ct)
    {
        var q = SearchQuery.Bound(SearchQuery.Normalize(request.Q));
        var category = string.IsNullOrWhiteSpace(request.Category) ? null : request.Category.Trim().ToLowerInvariant();
        var limit = request.Limit ?? 20;
        var response = await cache.GetOrCreateAsync(
            $"search:{category}:{limit}:{q}",
            (q, category, limit, dataSource, common),
            static async (s, token) => CachedResponse.Json(await SearchQuery.ExecuteAsync(s.dataSource, s.common, s.q, s.category, s.limit, token)),
            CacheTags,
            ct);
        await HttpCaching.WriteAsync(HttpContext, response, HttpCaching.Lists, ct);
    }
}
