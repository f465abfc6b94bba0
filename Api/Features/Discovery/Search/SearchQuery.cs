using System.Text;
using Npgsql;
using Platform.Api.Features.Discovery.Shared;

namespace Platform.Api.Features.Discovery.Search;

/// <summary>
/// Full-text search over title (weight A) and description (B) with websearch_to_tsquery (never a syntax error,
/// whatever the text) on the GIN index idx_content_item_search_vector, ranked by ts_rank; when that finds nothing
/// (a typo), the words no title holds are corrected to the most similar title words (search_word, pg_trgm) and the
/// corrected text is searched the same way. The text is always a bound parameter. Ranking reads at most
/// <see cref="CandidateCap"/> matches so a very common word stays fast: for such words the result is the best of a
/// sample, not of every match.
/// </summary>
public static class SearchQuery
{
    public const int MaxQueryLength = 200;
    public const int CandidateCap = 1000;

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

        var hits = await RunAsync(dataSource, FullTextSql(category), q, category, limit, ct);
        if (hits.Count > 0 || q.Length < 3)
        {
            return new Response(q, "fulltext", hits);
        }

        // Typo fallback: each word that is not a title word becomes the most similar one that is (search_word,
        // migration 009), and the corrected text runs as the same ranked full-text search.
        var corrected = await CorrectAsync(dataSource, q, ct);
        if (corrected is null)
        {
            return new Response(q, "fuzzy", [], null);
        }

        return new Response(q, "fuzzy", await RunAsync(dataSource, FullTextSql(category), corrected, category, limit, ct), corrected);
    }

    // Rank the capped candidates from the GIN index alone, keep the best few, and only then join the card columns and
    // check visibility (a private creator's hits are dropped there, so 4x the limit is kept).
    private static string FullTextSql(string? category) => $"""
        WITH query AS (SELECT websearch_to_tsquery('english', @q) AS tsq),
        candidates AS (
            SELECT c.id, c.published_at, ts_rank(c.search_vector, query.tsq) AS rank
            FROM content_item c, query
            WHERE numnode(query.tsq) > 0 AND c.search_vector @@ query.tsq AND c.status = 'published'
              {(category is null ? "" : "AND c.category_id = (SELECT id FROM content_category WHERE slug = @category)")}
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

    /// <summary>
    /// The query with every word of 3+ letters that no title holds replaced by the most similar title word (pg_trgm
    /// similarity ≥ 0.3, then the most frequent); null when nothing was replaced (so there is nothing new to search).
    /// </summary>
    private static async Task<string?> CorrectAsync(NpgsqlDataSource dataSource, string q, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand(
            """
            WITH words AS (
                SELECT t.word, t.position
                FROM regexp_split_to_table(@q, '[^[:alnum:]]+') WITH ORDINALITY AS t(word, position)
                WHERE t.word <> ''
            ), corrected AS (
                SELECT w.position, w.word,
                       CASE WHEN char_length(w.word) < 3 OR char_length(w.word) > 40
                                 OR EXISTS (SELECT 1 FROM search_word s WHERE s.word = w.word) THEN w.word
                            ELSE (SELECT s.word FROM search_word s
                                  WHERE s.word % w.word
                                  ORDER BY similarity(s.word, w.word) DESC, s.documents DESC, s.word
                                  LIMIT 1)
                       END AS replacement
                FROM words w
            )
            SELECT string_agg(coalesce(c.replacement, c.word), ' ' ORDER BY c.position),
                   bool_or(c.replacement IS DISTINCT FROM c.word AND c.replacement IS NOT NULL)
            FROM corrected c
            """);
        command.Parameters.AddWithValue("q", q);
        await using var reader = await command.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) && !reader.IsDBNull(1) && reader.GetBoolean(1) ? reader.GetString(0) : null;
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
