using FastEndpoints;
using Npgsql;
using Platform.Api.Features.Discovery.Shared;
using Platform.Core.Discovery;

namespace Platform.Api.Features.Admin.Content;

public sealed record StatusResponse(Guid Id, string Slug, string Status, DateTimeOffset? PublishedAt);

/// <summary>
/// <c>POST /api/admin/content/{id}/publish</c> and <c>/unpublish</c>: show or hide an item everywhere (feed, detail,
/// search, trending, creator pages, SEO pages, sitemaps) by invalidating the content and trending cache tags.
/// </summary>
public sealed class SetStatus(NpgsqlDataSource dataSource, PublicCache cache) : EndpointWithoutRequest<StatusResponse>
{
    public override void Configure()
    {
        Post("/api/admin/content/{id}/publish", "/api/admin/content/{id}/unpublish");
        Roles("admin");
        Description(d => d.WithTags("Admin").ProducesProblemDetails(404).ProducesProblemDetails(409));
        Summary(s => s.Summary = "Publish or unpublish a content item");
    }

    public override async Task HandleAsync(CancellationToken ct)
    {
        var publish = HttpContext.Request.Path.Value!.EndsWith("/publish", StringComparison.Ordinal);
        await using var command = dataSource.CreateCommand("""
            UPDATE content_item SET status = @status
            WHERE id = @id AND status <> 'removed'
            RETURNING id, slug, status, published_at
            """);
        command.Parameters.AddWithValue("id", Route<Guid>("id"));
        command.Parameters.AddWithValue("status", publish ? "published" : "unpublished");
        StatusResponse? result = null;
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            if (await reader.ReadAsync(ct))
            {
                result = new StatusResponse(reader.GetGuid(0), reader.GetString(1), reader.GetString(2),
                    reader.IsDBNull(3) ? null : reader.GetFieldValue<DateTimeOffset>(3));
            }
        }

        if (result is null)
        {
            await Problems.NotFoundAsync(HttpContext, "No such item, or it was removed.");
            return;
        }

        await cache.InvalidateAsync([DiscoveryCacheTags.Content, DiscoveryCacheTags.Trending], ct);
        await Send.OkAsync(result, ct);
    }
}
