using System.Text;
using Npgsql;
using Platform.Api.Features.Discovery.Shared;

namespace Platform.Api.Features.Discovery.Search;

/// <summary>
/// Full-text search over title (weight A) and description (B) with websearch_to_tsquery (never a syntax error,
/// whatever the text) on the GIN index idx_content_item_search_vector, ranked by ts_rank; when that finds nothing
/// (a typo), a trigram word-similarity match on titles (idx_content_item_title_trgm). The text is always a bound
/// parameter. Ranking reads at most <see cref="CandidateCap"/> matches (the typo fallback <see cref="FuzzyCandidateCap"/>) so a very common word stays fast: for such
/// words the result is the best of a sample, not of every match.
/// </summary>
public static class SearchQuery
{
    public const int MaxQueryLength = 200;
    public const int CandidateCap = 1000;
    public const int FuzzyCandidateCap = 300;

    /// <summary>Drops control characters (Postgres text cannot hold NUL), collapses whitespace, caps the length.</summary>
    public static string Normalize(string? q)
    {
        var builder = new StringBuilder(Math.Min(q?.Length ?? 0, MaxQueryLength));
        var space = false;
        foreach (var ch in q ?? string.Empty)
        {
            if (char.IsControl(ch) || char.IsWhiteSpace(ch) || char.IsSurrogate(ch))
            {
                space = builder.Length > 0;
                continue;
            }

            if (space)
            {
                builder.Append(' ');
                space = false;
            }

            builder.Append(ch);
            if (builder.Length >= MaxQueryLength)
            {
                break;
            }
        }

        return builder.ToString().Trim().ToLowerInvariant();
    }

    public static async Task<Response> ExecuteAsync(NpgsqlDataSource dataSource, string q, string? category, int limit, CancellationToken ct)
    {
        if (q.Length == 0)
        {
            return new Response(q, "fulltext", []);
        }

        var categoryFilter = category is null ? "" : "AND c.category_id = (SELECT id FROM content_category WHERE slug = @category)";
        // Rank the capped candidates from the GIN index alone, keep the best few, and only then join the card
        // columns and check visibility (a private creator's hits are dropped there, so 4x the limit is kept).
        var fullText = $"""
            WITH query AS (SELECT websearch_to_tsquery('english', @q) AS tsq),
            candidates AS (
                SELECT c.id, c.published_at, ts_rank(c.search_vector, query.tsq) AS rank
                FROM content_item c, query
                WHERE numnode(query.tsq) > 0 AND c.search_vector @@ query.tsq AND c.status = 'published' {categoryFilter}
                LIMIT {CandidateCap}
            ),
            best AS (
                SELECT id, rank FROM candidates ORDER BY rank DESC, published_at DESC, id DESC LIMIT @limit * 4
            )
            SELECT {ContentCardReader.Columns}, best.rank
            FROM best
            JOIN {ContentCardReader.From} ON c.id = best.id
            WHERE {ContentCardReader.Visible}
            ORDER BY best.rank DESC, c.published_at DESC, c.id DESC
            LIMIT @limit
            """;
        var hits = await RunAsync(dataSource, fullText, q, category, limit, ct);
        if (hits.Count > 0 || q.Length < 3)
        {
            return new Response(q, "fulltext", hits);
        }

        // Typo fallback: the query is similar to a run of words of the title (pg_trgm word_similarity >= 0.6 by default; `<%` uses the trigram index).
        var fuzzy = $"""
            WITH candidates AS (
                SELECT c.id, word_similarity(@q, c.title) AS rank
                FROM content_item c
                WHERE @q <% c.title AND c.status = 'published' {categoryFilter}
                LIMIT {FuzzyCandidateCap}
            )
            SELECT {ContentCardReader.Columns}, candidates.rank
            FROM candidates
            JOIN {ContentCardReader.From} ON c.id = candidates.id
            WHERE {ContentCardReader.Visible}
            ORDER BY candidates.rank DESC, c.published_at DESC, c.id DESC
            LIMIT @limit
            """;
        return new Response(q, "fuzzy", await RunAsync(dataSource, fuzzy, q, category, limit, ct));
    }

    private static async Task<List<SearchHit>> RunAsync(
        NpgsqlDataSource dataSource, string sql, string q, string? category, int limit, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand(sql);
        command.Parameters.AddWithValue("q", q);
        command.Parameters.AddWithValue("limit", limit);
        if (category is not null)
        {
            command.Parameters.AddWithValue("category", category);
        }

        await using var reader = await command.ExecuteReaderAsync(ct);
        var hits = new List<SearchHit>(limit);
        while (await reader.ReadAsync(ct))
        {
            hits.Add(new SearchHit(Math.Round(reader.GetFloat(ContentCardReader.ColumnCount), 6), ContentCardReader.Read(reader)));
        }

        return hits;
    }
}
