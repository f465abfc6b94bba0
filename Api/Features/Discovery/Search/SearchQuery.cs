using System.Text;
using Npgsql;
using Platform.Api.Features.Discovery.Shared;
using Platform.Core.Data;

namespace Platform.Api.Features.Discovery.Search;

/// <summary>
/// Full-text search over title (weight A) and description (B) with websearch_to_tsquery (never a syntax error,
/// whatever the text), ranked by ts_rank, ties newest first; when that finds nothing (a typo), the words no title holds
/// are corrected to the most similar title words (search_word, pg_trgm) and the corrected text is searched the same
/// way. The text is always a bound parameter. Which matches are ranked, so that no word costs more than a few thousand
/// row reads: for a query of common words (each in at least <see cref="CommonFraction"/> of the rows by PostgreSQL's
/// own statistics) the newest ones, read newest first from the recency index until 4 × limit of them match in the title
/// or 16 × limit at all (at most <see cref="WalkBudget"/> rows); otherwise (or when that finds fewer than 4 × limit)
/// at most <see cref="CandidateCap"/> matches among the newest items of public creators (the GIN index of
/// <c>search_recent</c>, migrations 033 and 034: the newest <c>Trending:SearchRecentItems</c>, default 50,000), and only
/// when those are fewer than 4 × limit at most <see cref="CandidateCap"/> matches of public creators in the GIN index of
/// all items (idx_content_item_search_vector); the best 4 × limit are checked for visibility. What one query may cost
/// is further bounded by <see cref="Bound"/> (distinct words, at most <see cref="MaxWords"/>, at most
/// <see cref="MaxOrTerms"/> <c>or</c>s) and by correcting at most <see cref="MaxCorrectedWords"/> words; the anonymous
/// role's <c>statement_timeout</c> bounds the rest.
/// </summary>
public static class SearchQuery
{
    public const int MaxQueryLength = 200;
    /// <summary>Matches the GIN path reads at most (in index order) to rank; past it a word's result is the best of a sample.</summary>
    public const int CandidateCap = 300;

    /// <summary>
    /// The share of published items (PostgreSQL's per-word statistics) from which every word of a query counts as common
    /// and its candidates are the newest matches, found by walking the recency index, instead of the GIN index's.
    /// </summary>
    public const double CommonFraction = 0.04;

    /// <summary>Newest items the walk for a common query reads at most before falling back to the GIN index.</summary>
    public const int WalkBudget = 3000;

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

    /// <summary>The search on one connection of <paramref name="dataSource"/>, with the common lexemes of <paramref name="common"/>.</summary>
    public static async Task<Response> ExecuteAsync(
        NpgsqlDataSource dataSource, CommonLexemes common, string q, string? category, int limit, CancellationToken ct)
    {
        if (q.Length == 0)
        {
            return new Response(q, "fulltext", []);
        }

        // One connection for the whole search.
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await ExecuteAsync(connection, q, category, limit, await common.GetAsync(connection, ct), ct);
    }

    /// <summary>
    /// The search on an open connection (a role that may read public content). Its statements are prepared: planned
    /// once per connection, not per request (the plan does not depend on the text, which reaches the tsquery through
    /// the query CTE). <paramref name="commonLexemes"/>: the lexemes in at least <see cref="CommonFraction"/> of the rows
    /// (<see cref="CommonLexemes"/>); a query all of whose lexemes are in it takes the walk.
    /// </summary>
    public static async Task<Response> ExecuteAsync(
        NpgsqlConnection connection, string q, string? category, int limit, string[] commonLexemes, CancellationToken ct)
    {
        if (q.Length == 0)
        {
            return new Response(q, "fulltext", []);
        }

        var sql = FullTextSql(category);
        var hits = await RunAsync(connection, sql, q, category, limit, commonLexemes, ct);
        if (hits.Count > 0 || q.Length < 3)
        {
            return new Response(q, "fulltext", hits);
        }

        // Typo fallback: each word that is not a title word becomes the most similar one that is (search_word,
        // migration 009), and the corrected text runs as the same ranked full-text search.
        var corrected = await CorrectAsync(connection, q, ct);
        if (corrected is null)
        {
            return new Response(q, "fuzzy", [], null);
        }

        return new Response(q, "fuzzy", await RunAsync(connection, sql, corrected, category, limit, commonLexemes, ct), corrected);
    }

    // Two ways to the candidates, chosen per query in the statement itself (one round trip):
    // * recent: when every lexeme of the query is common (@common: CommonLexemes, PostgreSQL's statistics of
    //   content_item.search_vector read at most every few minutes, not per query), walk the feed's recency index
    //   (idx_content_item_feed_recent, or idx_content_item_feed_category) newest first, test each row with @@ and
    //   stop at limit * 4 matches: a common word is found within a few hundred rows, where its GIN bitmap would hold
    //   tens of thousands. The walk reads at most WalkBudget rows (words that are common alone can be rare together).
    //   A match counts only when its creator is public (one users probe per match): else a private creator's newest
    //   matches could fill the count and best's slots and leave the page empty (ContentCardReader.CreatorIsPublic), in
    //   a subquery kept whole and ordered (OFFSET 0 computes hit once per row; the ORDER BY, which the index walk
    //   already gives, lets the count stop early).
    // * fresh: otherwise, the GIN index of the newest items only (search_recent, migration 033: the newest 50,000 or
    //   so), reading at most CandidateCap matches: a word in about 1 % of items has a few hundred matches there, where
    //   the whole index's bitmap would hold thousands (built in full before the first row is read).
    //   It holds only public creators' items (migration 034), so a private creator's matches cannot fill its count.
    // * indexed: when those found fewer than limit * 4 (a rare word), the GIN index of all items
    //   (idx_content_item_search_vector), reading at most CandidateCap matches of public creators (the same probe
    //   each: else a private creator's higher-ranked matches could fill every one of best's limit * 4 slots and leave
    //   the page empty).
    // The best limit * 4 candidates by ts_rank are then joined, best first, to the card columns and checked for
    // visibility (a private creator's hits are dropped there, hence 4x the limit); ordered by best's own columns, the
    // join stops after the first limit visible ones instead of fetching and sorting all limit * 4.
    private const string TitleWeights = "{a}"; // search_vector's title lexemes carry weight A (migration 001)

    private static string FullTextSql(string? category)
    {
        string InCategory(string alias) =>
            category is null ? "" : $"AND {alias}.category_id = (SELECT id FROM content_category WHERE slug = @category)";

        return $"""
            WITH query AS (SELECT websearch_to_tsquery('english', @q) AS tsq),
            common AS (
                SELECT coalesce(bool_and(l.lexeme = ANY (@common)), false) AS yes
                FROM unnest(tsvector_to_array(to_tsvector('english', @q))) AS l(lexeme)
            ),
            walk AS (
                SELECT w.id, w.published_at, w.hit,
                       w.hit AND ts_filter(w.search_vector, '{TitleWeights}') @@ w.tsq AS title_hit,
                       CASE WHEN w.hit THEN ts_rank(w.search_vector, w.tsq) END AS rank
                FROM (SELECT c.id, c.published_at, c.search_vector, query.tsq,
                             c.search_vector @@ query.tsq AND {ContentCardReader.CreatorIsPublic("c")} AS hit
                      FROM (SELECT newest.id, newest.published_at, newest.search_vector, newest.creator_id
                            FROM content_item newest
                            WHERE newest.status = 'published' {InCategory("newest")}
                            ORDER BY newest.published_at DESC, newest.id DESC
                            LIMIT {WalkBudget}) c, query
                      WHERE (SELECT yes FROM common) AND numnode(query.tsq) > 0
                      ORDER BY c.published_at DESC, c.id DESC
                      OFFSET 0) w
            ),
            recent AS (
                SELECT id, published_at, rank
                FROM (SELECT w.id, w.published_at, w.rank, w.hit,
                             count(*) FILTER (WHERE w.title_hit) OVER newest AS titles,
                             count(*) FILTER (WHERE w.hit) OVER newest AS matches
                      FROM walk w
                      WINDOW newest AS (ORDER BY w.published_at DESC, w.id DESC ROWS UNBOUNDED PRECEDING)) counted
                WHERE counted.titles <= @limit * 4 AND counted.matches <= @limit * 16 AND counted.hit
            ),
            fresh AS (
                SELECT r.id, r.published_at, ts_rank(r.search_vector, query.tsq) AS rank
                FROM search_recent r, query
                WHERE (SELECT count(*) FROM recent) < @limit * 4
                  AND numnode(query.tsq) > 0 AND r.search_vector @@ query.tsq {InCategory("r")}
                LIMIT {CandidateCap}
            ),
            indexed AS (
                SELECT matching.id, matching.published_at, ts_rank(matching.search_vector, query.tsq) AS rank
                FROM content_item matching, query
                WHERE (SELECT count(*) FROM recent) < @limit * 4 AND (SELECT count(*) FROM fresh) < @limit * 4
                  AND numnode(query.tsq) > 0 AND matching.search_vector @@ query.tsq AND matching.status = 'published' {InCategory("matching")}
                  AND {ContentCardReader.CreatorIsPublic("matching")}
                LIMIT {CandidateCap}
            ),
            candidates AS (
                SELECT id, published_at, rank FROM recent WHERE (SELECT count(*) FROM recent) >= @limit * 4
                UNION ALL
                SELECT id, published_at, rank FROM fresh WHERE (SELECT count(*) FROM fresh) >= @limit * 4
                UNION ALL
                SELECT id, published_at, rank FROM indexed
            ),
            best AS (
                SELECT id, published_at, rank FROM candidates ORDER BY rank DESC, published_at DESC, id DESC LIMIT @limit * 4
            )
            SELECT {ContentCardReader.Columns}, best.rank
            FROM best
            JOIN {ContentCardReader.From} ON c.id = best.id
            WHERE {ContentCardReader.Visible}
            ORDER BY best.rank DESC, best.published_at DESC, best.id DESC
            LIMIT @limit
            """;
    }

    /// <summary>
    /// The query with the first <see cref="MaxCorrectedWords"/> words of 3-40 letters that no title holds replaced by
    /// the most similar title word (pg_trgm similarity ≥ 0.3, then the most frequent); null when nothing was replaced
    /// (so there is nothing new to search).
    /// </summary>
    private static async Task<string?> CorrectAsync(NpgsqlConnection connection, string q, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(
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
            """,
            connection);
        command.Parameters.AddWithValue("q", q);
        command.Parameters.AddWithValue("max_corrected", MaxCorrectedWords);
        await command.PrepareAsync(ct);
        await using var reader = await command.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) && !reader.IsDBNull(1) && reader.GetBoolean(1) ? reader.GetString(0) : null;
    }

    private static async Task<List<SearchHit>> RunAsync(
        NpgsqlConnection connection, string sql, string q, string? category, int limit, string[] commonLexemes, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.AddWithValue("q", q);
        command.Parameters.AddWithValue("limit", limit);
        command.Parameters.AddWithValue("common", commonLexemes);
        if (category is not null)
        {
            command.Parameters.AddWithValue("category", category);
        }

        await command.PrepareAsync(ct);
        await using var reader = await command.ExecuteReaderAsync(ct);
        var hits = new List<SearchHit>(limit);
        while (await reader.ReadAsync(ct))
        {
            hits.Add(new SearchHit(Math.Round(reader.GetFloat(ContentCardReader.ColumnCount), 6), ContentCardReader.Read(reader)));
        }

        return hits;
    }
}
