using Npgsql;

namespace Platform.Bench.Chaos;

/// <summary>
/// The chaos bench's verdict, read from the database after the run. The execution ledger is <c>job_log</c>: the
/// engine writes a <c>claimed</c> row (with the worker id, <c>{machine}:{pid}:{random}</c>) in the same transaction
/// that hands a job to a worker, and <c>completed</c>, <c>retry_scheduled</c>, <c>released</c> or <c>rescued</c>
/// (lease expired) when that execution ends.
/// </summary>
public sealed record Ledger(
    int JobsLost, int JobsCompletedTwice, int ExecutionsBeyondCrashes, int WebhooksAckedLost, int WebhooksProcessedTwice,
    IReadOnlyList<Guid> LostSample)
{
    public static async Task<Ledger> ReadAsync(
        NpgsqlConnection connection, IReadOnlyDictionary<Guid, byte> accepted, IReadOnlyDictionary<string, byte> acked, ISet<int> killedPids)
    {
        var ids = accepted.Keys.ToArray();
        var lost = new List<Guid>();
        await using (var command = new NpgsqlCommand(
            "SELECT a.id FROM unnest(@ids) a(id) LEFT JOIN job_queue j ON j.id = a.id WHERE j.status IS DISTINCT FROM 'completed'", connection))
        {
            command.Parameters.AddWithValue("ids", ids);
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                lost.Add(reader.GetGuid(0));
            }
        }

        var completedTwice = await CountAsync(connection,
            "SELECT count(*) FROM (SELECT job_id FROM job_log WHERE event = 'completed' AND job_id = ANY(@ids) GROUP BY job_id HAVING count(*) > 1) t",
            ("ids", ids));

        // An execution that ended in 'rescued' (its lease expired) although the worker holding it was not killed.
        var beyond = 0;
        await using (var command = new NpgsqlCommand(
            """
            SELECT worker_id FROM (
                SELECT event, worker_id, lead(event) OVER (PARTITION BY job_id ORDER BY id) AS next_event
                FROM job_log WHERE job_id = ANY(@ids)) e
            WHERE event = 'claimed' AND next_event = 'rescued'
            """, connection))
        {
            command.Parameters.AddWithValue("ids", ids);
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                var parts = (reader.IsDBNull(0) ? string.Empty : reader.GetString(0)).Split(':');
                if (parts.Length < 2 || !int.TryParse(parts[^2], out var pid) || !killedPids.Contains(pid))
                {
                    beyond++;
                }
            }
        }

        var ackedLost = await CountAsync(connection,
            "SELECT count(*) FROM unnest(@ids) a(id) WHERE NOT EXISTS (SELECT 1 FROM stripe_webhook_events w WHERE w.stripe_event_id = a.id)",
            ("ids", acked.Keys.ToArray()));
        var processedTwice = await CountAsync(connection,
            """
            SELECT count(*) FROM (SELECT coalesce(payload->>'stripe_event_id', payload->>'webhook_event_id') FROM job_queue WHERE job_type = 'stripe_webhook'
                                  GROUP BY 1 HAVING count(*) > 1) t
            """);
        return new Ledger(lost.Count, completedTwice, beyond, ackedLost, processedTwice, lost.Take(10).ToList());
    }

    /// <summary>Completed executions per second (server clock), all job types.</summary>
    public static async Task<SortedDictionary<DateTimeOffset, int>> CompletionsPerSecondAsync(NpgsqlConnection connection)
    {
        var rates = new SortedDictionary<DateTimeOffset, int>();
        await using var command = new NpgsqlCommand(
            "SELECT date_trunc('second', created_at), count(*)::int FROM job_log WHERE event = 'completed' GROUP BY 1", connection);
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            rates[new DateTimeOffset(reader.GetDateTime(0), TimeSpan.Zero)] = reader.GetInt32(1);
        }

        return rates;
    }

    /// <summary>Mean completions per second over [from, to).</summary>
    public static double MeanRate(SortedDictionary<DateTimeOffset, int> rates, DateTimeOffset from, DateTimeOffset to)
    {
        var start = Truncate(from);
        var seconds = Math.Max(1, (int)(Truncate(to) - start).TotalSeconds);
        var total = 0;
        for (var i = 0; i < seconds; i++)
        {
            total += rates.GetValueOrDefault(start.AddSeconds(i));
        }

        return (double)total / seconds;
    }

    /// <summary>
    /// Seconds from the end of a fault until the 3-second mean completion rate is back to 90 % of the 10 s before
    /// the fault began; null when it never is (within 120 s).
    /// </summary>
    public static double? RecoverySeconds(SortedDictionary<DateTimeOffset, int> rates, DateTimeOffset started, DateTimeOffset ended)
    {
        var before = MeanRate(rates, started.AddSeconds(-10), started);
        if (before <= 0)
        {
            return null;
        }

        for (var t = 0; t <= 120; t++)
        {
            var from = Truncate(ended).AddSeconds(t);
            if (MeanRate(rates, from, from.AddSeconds(3)) >= 0.9 * before)
            {
                return Math.Max(0, (from - ended).TotalSeconds);
            }
        }

        return null;
    }

    private static DateTimeOffset Truncate(DateTimeOffset value) =>
        new(value.UtcDateTime.Ticks - value.UtcDateTime.Ticks % TimeSpan.TicksPerSecond, TimeSpan.Zero);

    private static async Task<int> CountAsync(NpgsqlConnection connection, string sql, params (string Name, object Value)[] parameters)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        return (int)(long)(await command.ExecuteScalarAsync())!;
    }
}
