using FastEndpoints;
using Npgsql;
using Platform.Api.Caching;
using Platform.Api.Features.Discovery.Shared;
using Platform.Api.Http;

namespace Platform.Api.Features.Discovery.GetContent;

/// <summary><c>GET /api/public/content/{slug}</c>: one published item of a public creator, with media, tags and creator card.</summary>
public sealed class Endpoint(AnonymousDataSource anonymous, PublicCache cache, PublicPageTags pageTags) : EndpointWithoutRequest
{
    private readonly NpgsqlDataSource dataSource = anonymous.DataSource;

    public override void Configure()
    {
        Get("/api/public/content/{slug}");
        AllowAnonymous();
        Options(x => x.RequireRateLimiting(DiscoveryServiceExtensions.PublicRateLimitPolicy));
        Description(d => d.WithTags("Discovery").Produces<Response>(200, "application/json").ProducesProblemDetails(404).ProducesConditionalAndRateLimited());
        Summary(s => s.Summary = "One public content item by slug, with media, tags and its creator");
    }

    public override async Task HandleAsync(CancellationToken ct)
    {
        var slug = Route<string>("slug", isRequired: false)?.ToLowerInvariant() ?? string.Empty;
        if (slug.Length is 0 or > 120)
        {
            await Problems.NotFoundAsync(HttpContext);
            return;
        }

        var response = await cache.GetOrCreateAsync(
            "content:" + slug,
            (slug, dataSource),
            static async (state, token) =>
                await ContentDetailQuery.ExecuteAsync(state.dataSource, state.slug, token) is { } item
                    ? CachedResponse.Json(item)
                    : await PublicNames.MissAsync(state.dataSource, PublicNames.ContentSlug, state.slug, _ => string.Empty, token),
            await pageTags.ForItemAsync(slug, ct),
            ct);
        await HttpCaching.WriteAsync(HttpContext, response, HttpCaching.Detail, ct);
    }
}
