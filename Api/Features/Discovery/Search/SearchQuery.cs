using System.Text;
using Npgsql;
using Platform.Api.Features.Discovery.Shared;
using Platform.Core.Data;

namespace Platform.Api.Features.Discovery.Search;

/// <summary>
/// Full-text search over title (weight A) and description (B) with websearch_to_tsquery (never a syntax error,
/// whatever the text) on the GIN index idx_content_item_search_vector, ranked by ts_rank; when that finds nothing
/// (a typo), the words no title holds are corrected to the most similar title words (search_word, pg_trgm) and the
/// corrected text is searched the same way. The text is always a bound parameter. Ranking reads at most
/// <see cref="CandidateCap"/> matches so a very common word stays fast: for such words the result is the best of a
/// sample, not of every match. What one query may cost is bounded by <see cref="Bound"/> (distinct words, at most
/// <see cref="MaxWords"/>, at most <see cref="MaxOrTerms"/> <c>or</c>s) and by correcting at most
/// <see cref="MaxCorrectedWords"/> words; the anonymous role's <c>statement_timeout</c> bounds the rest.
/// </summary>
public static class SearchQuery
{
    public const int MaxQueryLength = 200;
    public const int CandidateCap = 1000;

    /// <summary>Distinct words kept of a query (the rest are dropped: they would only narrow an AND search further).</summary>
    public const int MaxWords = 8;

    /// <summary><c>or</c> operators kept (websearch syntax); further ones are dropped, so their words are ANDed.</summary>
    public const int MaxOrTerms = 3;

    /// <summary>Unknown words the typo fallback looks up (one trigram index lookup each); later ones stay as typed.</summary>
    public const int MaxCorrectedWords = 3;

    /// <summary>
    /// The normalized query reduced to what is searched: whitespace-separated words de-duplicated (first occurrence
    /// kept), at most <see cref="MaxWords"/> words and <see cref="MaxOrTerms"/> <c>or</c>s, no leading, trailing or
    /// doubled <c>or</c>. Also the cache key, so varying a query past its bound does not miss the cache.
    /// </summary>
    public static string Bound(string normalized)
    {
        var kept = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var words = 0;
        var ors = 0;
        foreach (var token in normalized.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (token == "or")
            {
                if (kept.Count > 0 && kept[^1] != "or" && ors < MaxOrTerms)
                {
                    kept.Add(token);
                    ors++;
                }

                continue;
            }

            if (words >= MaxWords)
            {
                break;
            }

            if (seen.Add(token))
            {
                kept.Add(token);
                words++;
            }
        }

        if (kept.Count > 0 && kept[^1] == "or")
        {
            kept.RemoveAt(kept.Count - 1);
        }

        return string.Join(' ', kept);
    }

    /// <summary>
    /// Makes the text storable (<see cref="PostgresText.Clean"/>: U+0000 removed, an unpaired surrogate becomes U+FFFD),
    /// reads control characters, whitespace and U+FFFD as word separators, collapses them, lower-cases, and cuts at
    /// <see cref="MaxQueryLength"/> UTF-16 code units on a text-element boundary (<see cref="PostgresText.Truncate"/>).
    /// Characters outside the BMP (surrogate pairs: 𠮷, styled letters such as 𝐁) are kept: PostgreSQL indexes them.
    /// </summary>
    public static string Normalize(string? q)
    {
        var text = PostgresText.Clean(q) ?? string.Empty;
        var builder = new StringBuilder(Math.Min(text.Length, MaxQueryLength + 1));
        var space = false;
        foreach (var rune in text.EnumerateRunes())
        {
            if (Rune.IsControl(rune) || Rune.IsWhiteSpace(rune) || rune == Rune.ReplacementChar)
            {
                space = builder.Length > 0;
                continue;
            }

            if (space)
            {
                builder.Append(' ');
                space = false;
            }

            builder.Append(rune.ToString());
            if (builder.Length > MaxQueryLength)
            {
                break; // enough to cut at a text-element boundary below
            }
        }

        return PostgresText.Truncate(builder.ToString(), MaxQueryLength)!.Trim().ToLowerInvariant();
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
    /// The query with the first <see cref="MaxCorrectedWords"/> words of 3-40 letters that no title holds replaced by
    /// the most similar title word (pg_trgm similarity ≥ 0.3, then the most frequent); null when nothing was replaced
    /// (so there is nothing new to search).
    /// </summary>
    private static async Task<string?> CorrectAsync(NpgsqlDataSource dataSource, string q, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand(
            """
            WITH words AS (
                SELECT t.word, t.position
                FROM regexp_split_to_table(@q, '[^[:alnum:]]+') WITH ORDINALITY AS t(word, position)
                WHERE t.word <> ''
            ), flagged AS (
                SELECT w.position, w.word,
                       char_length(w.word) BETWEEN 3 AND 40
                           AND NOT EXISTS (SELECT 1 FROM search_word s WHERE s.word = w.word) AS unknown
                FROM words w
            ), numbered AS (
                SELECT f.position, f.word,
                       CASE WHEN f.unknown THEN row_number() OVER (PARTITION BY f.unknown ORDER BY f.position) END AS nth
                FROM flagged f
            ), corrected AS (
                SELECT n.position, n.word,
                       CASE WHEN n.nth IS NULL OR n.nth > @max_corrected THEN n.word
                            ELSE (SELECT s.word FROM search_word s
                                  WHERE s.word % n.word
                                  ORDER BY similarity(s.word, n.word) DESC, s.documents DESC, s.word
                                  LIMIT 1)
                       END AS replacement
                FROM numbered n
            )
            SELECT string_agg(coalesce(c.replacement, c.word), ' ' ORDER BY c.position),
                   bool_or(c.replacement IS DISTINCT FROM c.word AND c.replacement IS NOT NULL)
            FROM corrected c
            """);
        command.Parameters.AddWithValue("q", q);
        command.Parameters.AddWithValue("max_corrected", MaxCorrectedWords);
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
