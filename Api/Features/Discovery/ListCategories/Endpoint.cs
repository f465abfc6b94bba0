using FastEndpoints;
using Npgsql;
using Platform.Api.Caching;
using Platform.Api.Features.Discovery.Shared;
using Platform.Core.Discovery;

namespace Platform.Api.Features.Discovery.ListCategories;

/// <summary><c>GET /api/public/categories</c>: the browse categories, in display order. Anonymous, cached, ETag.</summary>
public sealed class Endpoint(AnonymousDataSource anonymous, PublicCache cache) : EndpointWithoutRequest
{
    private readonly NpgsqlDataSource dataSource = anonymous.DataSource;

    private static readonly string[] CacheTags = [DiscoveryCacheTags.Categories];

    public override void Configure()
    {
        Get("/api/public/categories");
        AllowAnonymous();
        Options(x => x.RequireRateLimiting(DiscoveryServiceExtensions.PublicRateLimitPolicy));
        Description(d => d.WithTags("Discovery").Produces<Response>(200, "application/json").ProducesConditionalAndRateLimited());
        Summary(s => s.Summary = "The content categories, in display order");
    }

    public override async Task HandleAsync(CancellationToken ct)
    {
        var response = await cache.GetOrCreateAsync("categories", dataSource, LoadAsync, CacheTags, ct);
        await HttpCaching.WriteAsync(HttpContext, response, HttpCaching.Reference, ct);
    }

    private static async ValueTask<CachedResponse> LoadAsync(NpgsqlDataSource dataSource, CancellationToken ct) =>
        CachedResponse.Json(new Response(await CategoriesQuery.ExecuteAsync(dataSource, ct)));
}
