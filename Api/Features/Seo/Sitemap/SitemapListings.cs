using Npgsql;
using Platform.Api.Features.Discovery.Shared;
using Platform.Api.Features.Seo.Shared;

namespace Platform.Api.Features.Seo.Sitemap;

/// <summary>
/// The list pages in the sitemap: <c>/category/{slug}</c> of every category and <c>/tag/{tag}</c> of the most used
/// tags, each only with at least one public item (<see cref="ContentCardReader.Visible"/>: an empty list is no page
/// worth indexing, and a tag nobody uses answers 404). lastmod is the newest <c>greatest(updated_at, published_at)</c>
/// of the page's items, as for the item URLs. One file each, bounded by the shard size (at most 50,000 URLs, the
/// protocol's limit): categories in the site's order, tags by how many public items carry them (most first), so a
/// long tail of one-off tags is what is left out.
/// </summary>
public static class SitemapListings
{
    /// <summary>Rows <c>(key, lastmod)</c> of <paramref name="kind"/>, at most <c>@size</c>, in file order.</summary>
    public static string Sql(string kind) => kind switch
    {
        SitemapPlanner.Categories => $"""
            SELECT cat.slug, max(greatest(c.updated_at, c.published_at)) AS lastmod
            FROM content_category cat JOIN content_item c ON c.category_id = cat.id JOIN users u ON u.id = c.creator_id
            WHERE {ContentCardReader.Visible}
            GROUP BY cat.id
            ORDER BY min(cat.sort_order), cat.id
            LIMIT @size
            """,
        SitemapPlanner.Tags => $"""
            SELECT t.tag, max(greatest(c.updated_at, c.published_at)) AS lastmod
            FROM content_tag t JOIN content_item c ON c.id = t.content_id JOIN users u ON u.id = c.creator_id
            WHERE {ContentCardReader.Visible} AND t.tag NOT IN ('.', '..')
            GROUP BY t.tag
            ORDER BY count(*) DESC, t.tag
            LIMIT @size
            """,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Not a list page kind."),
    };

    /// <summary>The site path of a row's key (<see cref="Html.CategoryPath"/>, <see cref="Html.TagPath"/>).</summary>
    public static string Path(string kind, string key) =>
        kind == SitemapPlanner.Categories ? Html.CategoryPath(key) : Html.TagPath(key)!; // '.' and '..' are excluded in SQL

    /// <summary>The file's URLs (<paramref name="baseUrl"/> + path) with lastmod, at most <paramref name="size"/>.</summary>
    public static async Task<List<(string Loc, DateTimeOffset LastModified)>> ReadAsync(
        NpgsqlDataSource dataSource, string kind, string baseUrl, int size, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand(Sql(kind));
        command.Parameters.AddWithValue("size", size);
        command.CommandTimeout = 120;
        await using var reader = await command.ExecuteReaderAsync(ct);
        var urls = new List<(string, DateTimeOffset)>();
        while (await reader.ReadAsync(ct))
        {
            urls.Add((baseUrl + Path(kind, reader.GetString(0)), reader.GetFieldValue<DateTimeOffset>(1)));
        }

        return urls;
    }
}
