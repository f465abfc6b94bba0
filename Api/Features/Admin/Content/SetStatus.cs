using FastEndpoints;
using Npgsql;
using Platform.Api.Caching;
using Platform.Api.Features.Discovery.Shared;
using Platform.Api.Http;
using Platform.Core.Discovery;

namespace Platform.Api.Features.Admin.Content;

public sealed record StatusResponse(Guid Id, string Slug, string Status, DateTimeOffset? PublishedAt);

/// <summary><c>POST /api/admin/content/{id}/publish</c>: show an item everywhere.</summary>
public sealed class Publish(NpgsqlDataSource dataSource, PublicCache cache) : SetStatus(dataSource, cache, publish: true)
{
    public override void Configure()
    {
        Post("/api/admin/content/{id}/publish");
        Configure("Publish a content item");
    }
}

/// <summary><c>POST /api/admin/content/{id}/unpublish</c>: hide an item everywhere.</summary>
public sealed class Unpublish(NpgsqlDataSource dataSource, PublicCache cache) : SetStatus(dataSource, cache, publish: false)
{
    public override void Configure()
    {
        Post("/api/admin/content/{id}/unpublish");
        Configure("Unpublish a content item");
    }
}

/// <summary>
/// Shows or hides an item everywhere (feed, detail, search, trending, creator pages, SEO pages, sitemaps) by
/// invalidating the content and trending cache tags. The action is the endpoint's (one route each), never read from
/// the path's text, so <c>/publish/</c> or <c>/PUBLISH</c> cannot unpublish.
/// </summary>
public abstract class SetStatus(NpgsqlDataSource dataSource, PublicCache cache, bool publish) : EndpointWithoutRequest<StatusResponse>
{
    protected void Configure(string summary)
    {
        Roles("admin");
        Description(d => d.WithTags("Admin").ProducesProblemDetails(404).ProducesProblemDetails(409));
        Summary(s => s.Summary = summary);
    }

    public override async Task HandleAsync(CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand("""
            UPDATE content_item SET status = @status
            WHERE id = @id AND status <> 'removed'
            RETURNING id, slug, status, published_at, creator_id
            """);
        command.Parameters.AddWithValue("id", Route<Guid>("id"));
        command.Parameters.AddWithValue("status", publish ? "published" : "unpublished");
        StatusResponse? result = null;
        var creatorId = Guid.Empty;
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            if (await reader.ReadAsync(ct))
            {
                result = new StatusResponse(reader.GetGuid(0), reader.GetString(1), reader.GetString(2),
                    reader.IsDBNull(3) ? null : reader.GetFieldValue<DateTimeOffset>(3));
                creatorId = reader.GetGuid(4);
            }
        }

        if (result is null)
        {
            await Problems.NotFoundAsync(HttpContext, "No such item, or it was removed.");
            return;
        }

        // Curation is rare and trusted: the item's pages and every list at once (not debounced), so a takedown is immediate.
        await cache.InvalidateAsync(
            [.. DiscoveryCacheTags.ItemPage(result.Id, creatorId), DiscoveryCacheTags.Content, DiscoveryCacheTags.Trending], ct);
        await Send.OkAsync(result, ct);
    }
}
