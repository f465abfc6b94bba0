using FastEndpoints;
using Npgsql;

namespace Platform.Api.Features.Discovery.ListCategories;

/// <summary><c>GET /api/public/categories</c>: the browse categories, in display order. Anonymous.</summary>
public sealed class Endpoint(NpgsqlDataSource dataSource) : EndpointWithoutRequest<Response>
{
    public override void Configure()
    {
        Get("/api/public/categories");
        AllowAnonymous();
        Description(d => d.WithTags("Discovery"));
        Summary(s => s.Summary = "The content categories, in display order");
    }

    public override async Task HandleAsync(CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand(
            "SELECT id, slug, name, description, sort_order FROM content_category ORDER BY sort_order, id");
        await using var reader = await command.ExecuteReaderAsync(ct);
        var items = new List<CategoryItem>();
        while (await reader.ReadAsync(ct))
        {
            items.Add(new CategoryItem(
                reader.GetInt16(0), reader.GetString(1), reader.GetString(2),
                reader.IsDBNull(3) ? null : reader.GetString(3), reader.GetInt32(4)));
        }

        HttpContext.Response.Headers.CacheControl = "public, max-age=300";
        await Send.OkAsync(new Response(items), ct);
    }
}
