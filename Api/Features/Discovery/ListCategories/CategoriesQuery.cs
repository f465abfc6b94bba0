using Npgsql;
using Platform.Api.Features.Discovery.Shared;

namespace Platform.Api.Features.Discovery.ListCategories;

/// <summary>The browse categories (content_category, 15 seeded), in display order: the JSON list and the site's pages read this.</summary>
public static class CategoriesQuery
{
    private const string Sql = "SELECT id, slug, name, description, sort_order FROM content_category ORDER BY sort_order, id";

    public static async Task<IReadOnlyList<CategoryItem>> ExecuteAsync(NpgsqlDataSource dataSource, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand(Sql);
        await using var reader = await command.ExecuteReaderAsync(ct);
        return await ReadAsync(reader, ct);
    }

    /// <summary>The query as one statement of a page's <see cref="PreparedBatch"/>; read its result with <see cref="ReadAsync"/>.</summary>
    public static NpgsqlBatchCommand Statement() => new(Sql);

    /// <summary>Reads the categories where <paramref name="reader"/> stands (<see cref="Statement"/>'s result).</summary>
    public static async Task<IReadOnlyList<CategoryItem>> ReadAsync(NpgsqlDataReader reader, CancellationToken ct)
    {
        var items = new List<CategoryItem>();
        while (await reader.ReadAsync(ct))
        {
            items.Add(new CategoryItem(
                reader.GetInt16(0), reader.GetString(1), reader.GetString(2),
                reader.IsDBNull(3) ? null : reader.GetString(3), reader.GetInt32(4)));
        }

        return items;
    }
}
