using FastEndpoints;
using Npgsql;
using Platform.Api.Caching;
using Platform.Api.Features.Discovery.Shared;
using Platform.Api.Http;

namespace Platform.Api.Features.Discovery.GetCreator;

/// <summary><c>GET /api/public/creators/{username}</c>: a public profile and its content, newest first. 404 when private or unknown.</summary>
public sealed class Endpoint(AnonymousDataSource anonymous, PublicCache cache, PublicPageTags pageTags) : Endpoint<Request>
{
    private readonly NpgsqlDataSource dataSource = anonymous.DataSource;

    public override void Configure()
    {
        Get("/api/public/creators/{username}");
        AllowAnonymous();
        Options(x => x.RequireRateLimiting(DiscoveryServiceExtensions.PublicRateLimitPolicy));
        Description(d => d.WithTags("Discovery").Produces<Response>(200, "application/json").ProducesProblemDetails(400).ProducesProblemDetails(404).ProducesConditionalAndRateLimited());
        Summary(s => s.Summary = "A creator's public profile and their content, newest first");
    }

    public override async Task HandleAsync(Request request, CancellationToken ct)
    {
        var username = request.Username.Trim().ToLowerInvariant();
        if (username.Length is 0 or > 40)
        {
            await Problems.NotFoundAsync(HttpContext);
            return;
        }

        FeedCursor? cursor = request.Cursor is not null && FeedCursor.TryDecode(request.Cursor, out var decoded) ? decoded : null;
        var limit = request.Limit ?? 20;
        var response = await cache.GetOrCreateAsync(
            $"creator:{username}:{cursor?.Encode()}:{limit}",
            (username, cursor, limit, dataSource),
            static async (s, token) =>
            {
                var query = new FeedQuery("recent", null, null, null, s.username, TrendingWindows.Day, s.cursor, s.limit);
                if (await CreatorProfileQuery.ExecuteAsync(s.dataSource, s.username, query, token) is not { } found)
                {
                    return await PublicNames.MissAsync(
                        s.dataSource, PublicNames.Username, s.username, current => "/api/public/creators/" + Uri.EscapeDataString(current), token);
                }

                var page = found.Content.ToPage();
                return CachedResponse.Json(new Response(found.Profile, page.Items, page.NextCursor));
            },
            await pageTags.ForCreatorAsync(username, ct),
            ct);
        await HttpCaching.WriteAsync(HttpContext, response, HttpCaching.Detail, ct);
    }
}
