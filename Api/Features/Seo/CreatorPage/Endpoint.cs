using FastEndpoints;
using Npgsql;
using Platform.Api.Features.Discovery;
using Platform.Api.Features.Discovery.GetCreator;
using Platform.Api.Features.Discovery.Shared;
using Platform.Api.Features.Seo.Shared;
using Platform.Core.Discovery;

namespace Platform.Api.Features.Seo.CreatorPage;

/// <summary><c>GET /@{username}</c>: the server-rendered public profile (404 page when private or unknown). Cached, ETag.</summary>
public sealed class Endpoint(AnonymousDataSource anonymous, PublicCache cache, SeoContext seo) : EndpointWithoutRequest
{
    private readonly NpgsqlDataSource dataSource = anonymous.DataSource;

    private static readonly string[] CacheTags = [DiscoveryCacheTags.Content];

    public override void Configure()
    {
        Get("/@{username}");
        AllowAnonymous();
        Options(x => x.RequireRateLimiting(DiscoveryServiceExtensions.PublicRateLimitPolicy));
        Description(d => d.WithTags("Seo").Produces(200, contentType: "text/html").ProducesProblemDetails(429));
        Summary(s => s.Summary = "HTML profile page of a creator for crawlers and link previews");
    }

    public override async Task HandleAsync(CancellationToken ct)
    {
        var username = Route<string>("username", isRequired: false)?.ToLowerInvariant() ?? string.Empty;
        var baseUrl = seo.BaseUrl(HttpContext);
        if (username.Length is 0 or > 40)
        {
            await SeoContext.WriteNotFoundAsync(HttpContext, "profile", ct);
            return;
        }

        var response = await cache.GetOrCreateAsync(
            $"seo:u:{baseUrl}:{username}",
            (username, baseUrl, dataSource),
            static async (s, token) =>
            {
                var profile = await CreatorProfileQuery.ExecuteAsync(s.dataSource, s.username, token);
                if (profile is null)
                {
                    return await PublicNames.MissAsync(s.dataSource, PublicNames.Username, s.username, current => "/@" + Uri.EscapeDataString(current), token);
                }

                var page = await new FeedQuery("recent", null, null, null, profile.Username, TrendingWindows.Day, null, 50)
                    .ExecuteAsync(s.dataSource, token);
                return SeoContext.HtmlResponse(CreatorPageRenderer.Render(profile, page.Items, s.baseUrl));
            },
            CacheTags,
            ct);
        await SeoContext.WriteAsync(HttpContext, response, "profile", HttpCaching.Detail, ct);
    }
}
