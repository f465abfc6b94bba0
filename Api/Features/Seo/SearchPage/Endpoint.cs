using FastEndpoints;
using Npgsql;
using Platform.Api.Caching;
using Platform.Api.Features.Discovery.Search;
using Platform.Api.Features.Discovery.Shared;
using Platform.Api.Features.Seo.Shared;
using Platform.Api.Http;
using Platform.Core.Discovery;

namespace Platform.Api.Features.Seo.SearchPage;

public sealed record SearchModel(string BaseUrl, string Query, Response Results);

/// <summary>
/// <c>GET /search?q=</c>: the JSON search's ranked results (<see cref="SearchQuery"/>: same normalization, bound and
/// typo fallback) as a page, <c>noindex</c> (result pages are not for search engines). Any text is a valid query
/// (too long is cut, control characters dropped), so no input is an error; rate-limited like the JSON search.
/// </summary>
public sealed class Endpoint(AnonymousDataSource anonymous, PublicCache cache, CommonLexemes common, SeoContext seo, PageRenderer pages) : EndpointWithoutRequest
{
    public const int ResultCount = 24;

    private readonly NpgsqlDataSource dataSource = anonymous.DataSource;

    private static readonly string[] CacheTags = [DiscoveryCacheTags.Content];

    public override void Configure()
    {
        Get("/search");
        AllowAnonymous();
        Options(x => x.RequireRateLimiting(RateLimits.SearchPolicy).WithMetadata(new TextCleanedByEndpoint("q")));
        Description(d => d.WithTags("Seo").Produces(200, contentType: "text/html").ProducesConditionalAndRateLimited());
        Summary(s => s.Summary = "HTML search results page (noindex)");
    }

    public override async Task HandleAsync(CancellationToken ct)
    {
        var q = SearchQuery.Bound(SearchQuery.Normalize(HttpContext.Request.Query["q"].FirstOrDefault()));
        var baseUrl = seo.BaseUrl(HttpContext);
        var response = await cache.GetOrCreateAsync(
            $"site:search:{baseUrl}:{q}",
            (q, baseUrl, dataSource, common, pages),
            static async (s, token) => await s.pages.RenderResponseAsync<SearchPage>(
                new SearchModel(s.baseUrl, s.q, await SearchQuery.ExecuteAsync(s.dataSource, s.common, s.q, null, ResultCount, token))),
            CacheTags,
            ct);
        await SeoContext.WriteAsync(HttpContext, response, "page", HttpCaching.Lists, ct);
    }
}
