using Npgsql;

namespace Platform.Api.Features.Discovery.Search;

/// <summary>
/// The lexemes of <c>content_item.search_vector</c> that are in at least <see cref="SearchQuery.CommonFraction"/> of
/// its rows by PostgreSQL's own statistics (<c>pg_stats.most_common_elems</c> and <c>most_common_elem_freqs</c>, kept
/// by ANALYZE and autovacuum), which <see cref="SearchQuery"/> uses to choose its path. Read at most once per
/// <see cref="RefreshInterval"/> per process rather than joined into every search: the statistics change only when
/// ANALYZE runs, and a stale set only picks the other of two correct paths.
/// </summary>
public sealed class CommonLexemes(TimeProvider time)
{
    /// <summary>How long a read set is used before the next search reads it again.</summary>
    public static readonly TimeSpan RefreshInterval = TimeSpan.FromMinutes(5);

    private sealed record Snapshot(string[] Lexemes, DateTimeOffset ReadAt);

    private volatile Snapshot? current;

    /// <summary>
    /// The set read at most <see cref="RefreshInterval"/> ago, else read now on <paramref name="connection"/> (an open
    /// connection whose role may read <c>content_item</c>: pg_stats shows only such rows). Concurrent first reads may
    /// each read; they read the same thing.
    /// </summary>
    public async ValueTask<string[]> GetAsync(NpgsqlConnection connection, CancellationToken ct)
    {
        var snapshot = current;
        var now = time.GetUtcNow();
        if (snapshot is not null && now - snapshot.ReadAt < RefreshInterval)
        {
            return snapshot.Lexemes;
        }

        var lexemes = await ReadAsync(connection, ct);
        current = new Snapshot(lexemes, now);
        return lexemes;
    }

    /// <summary>
    /// Reads the set now: the elements of <c>most_common_elems</c> whose frequency (the same position in
    /// <c>most_common_elem_freqs</c>, whose three extra trailing entries are the minimum, maximum and null frequency)
    /// is at least <see cref="SearchQuery.CommonFraction"/>. Empty before the first ANALYZE.
    /// </summary>
    public static async Task<string[]> ReadAsync(NpgsqlConnection connection, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(
            """
            SELECT coalesce(array_agg(e.lexeme ORDER BY e.lexeme), '{}')
            FROM pg_stats s,
                 unnest(s.most_common_elems::text::text[]) WITH ORDINALITY AS e(lexeme, position)
            WHERE s.schemaname = current_schema() AND s.tablename = 'content_item' AND s.attname = 'search_vector'
              AND s.most_common_elem_freqs[e.position] >= @fraction
            """,
            connection);
        command.Parameters.AddWithValue("fraction", (float)SearchQuery.CommonFraction);
        return (string[])(await command.ExecuteScalarAsync(ct))!;
    }
}
