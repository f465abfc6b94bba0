using FastEndpoints;
using Npgsql;
using Platform.Api.Caching;
using Platform.Api.Features.Discovery;
using Platform.Api.Features.Discovery.GetCreator;
using Platform.Api.Features.Discovery.Shared;
using Platform.Api.Features.Seo.Shared;

namespace Platform.Api.Features.Seo.CreatorPage;

/// <summary>
/// <c>GET /@{username}</c>: the server-rendered public profile and their content, newest first, 24 a page
/// (<see cref="ListingPaging"/>: <c>?cursor=</c>, <c>?before=</c>); 404 page when private or unknown, 301 from a
/// renamed creator's old username, 410 when deleted, 400 page for a malformed cursor or a sort other than newest. Cached, ETag.
/// </summary>
public sealed class Endpoint(AnonymousDataSource anonymous, PublicCache cache, PublicPageTags pageTags, SeoContext seo, PageRenderer pages) : EndpointWithoutRequest
{
    private readonly NpgsqlDataSource dataSource = anonymous.DataSource;

    /// <summary>A profile lists its content newest first only (no sort links on it): <c>?sort=</c> anything else → 400 page.</summary>
    private static readonly string[] ProfileSorts = ["recent"];

    public override void Configure()
    {
        Get("/@{username}");
        AllowAnonymous();
        Options(x => x.RequireRateLimiting(DiscoveryServiceExtensions.PublicRateLimitPolicy));
        Description(d => d.WithTags("Seo").Produces(200, contentType: "text/html").ProducesConditionalAndRateLimited());
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

        if (ListingPaging.Parse(HttpContext.Request, out var error, ProfileSorts) is not { } paging)
        {
            await SeoContext.WriteBadRequestAsync(HttpContext, error!, ct);
            return;
        }

        var response = await cache.GetOrCreateAsync(
            $"seo:u:{baseUrl}:{username}:{paging.Key}",
            (username, baseUrl, paging, dataSource, pages),
            static async (s, token) =>
            {
                if (await CreatorProfileQuery.ExecuteAsync(s.dataSource, s.username, s.paging.Query(null, null, s.username), token)
                    is not { } found)
                {
                    return await PublicNames.MissAsync(s.dataSource, PublicNames.Username, s.username, current => "/@" + Uri.EscapeDataString(current), token);
                }

                var (profile, slice) = found;
                var basePath = Html.CreatorPath(profile.Username);
                var (prev, next) = s.paging.Links(basePath, slice);
                return await s.pages.RenderResponseAsync<CreatorPage>(
                    new CreatorPageModel(s.baseUrl, profile, slice.Items, basePath, s.paging.Self(basePath, slice), prev, next));
            },
            await pageTags.ForCreatorAsync(username, ct),
            ct);
        await SeoContext.WriteAsync(HttpContext, response, "profile", HttpCaching.Detail, ct);
    }
}
