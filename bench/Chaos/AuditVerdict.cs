using Marten;
using Npgsql;
using Platform.Core.Audit;
using Platform.Workers.Audit;

namespace Platform.Bench.Chaos;

/// <summary>
/// The chaos bench's audit verdict: once the Workers' projector has caught up with the job log, every accepted job's
/// trail, read through <see cref="JobAuditTrail"/> (the same expansion the Api answers with), holds each of its
/// <c>job_log</c> rows exactly once, in log order.
/// </summary>
/// <param name="CaughtUp">The job-log checkpoint reached the last log row within the wait.</param>
/// <param name="TrailsWrong">Accepted jobs whose trail's log ids are not exactly their <c>job_log</c> ids in order
/// (a row missing, twice, or out of order).</param>
/// <param name="WrongSample">Up to 10 of them.</param>
public sealed record AuditVerdict(bool CaughtUp, int TrailsWrong, IReadOnlyList<Guid> WrongSample)
{
    /// <summary>Waits up to <paramref name="wait"/> for the projection, then compares every trail with the log.</summary>
    public static async Task<AuditVerdict> ReadAsync(string connectionString, IReadOnlyCollection<Guid> jobs, TimeSpan wait)
    {
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        using var store = DocumentStore.For(options =>
        {
            options.Connection(dataSource);
            AuditStore.Configure(options);
        });

        var lastLogId = await ScalarAsync(dataSource, "SELECT coalesce(max(id), 0) FROM job_log");
        var deadline = DateTime.UtcNow + wait;
        bool caughtUp;
        while (true)
        {
            await using (var session = store.QuerySession())
            {
                var checkpoint = await session.LoadAsync<AuditCheckpoint>(JobAuditProjector.Checkpoint);
                caughtUp = checkpoint?.LastLogId >= lastLogId;
            }

            if (caughtUp || DateTime.UtcNow > deadline)
            {
                break;
            }

            await Task.Delay(500);
        }

        var logIds = new Dictionary<Guid, List<long>>();
        await using (var command = dataSource.CreateCommand("SELECT job_id, id FROM job_log WHERE job_id = ANY(@ids) ORDER BY job_id, id"))
        {
            command.Parameters.AddWithValue("ids", jobs.ToArray());
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                var job = reader.GetGuid(0);
                if (!logIds.TryGetValue(job, out var ids))
                {
                    logIds[job] = ids = [];
                }

                ids.Add(reader.GetInt64(1));
            }
        }

        var wrong = new List<Guid>();
        await using (var session = store.QuerySession())
        {
            foreach (var job in jobs)
            {
                var trail = await JobAuditTrail.ReadAsync(session, job);
                if (!trail.Select(e => e.LogId).SequenceEqual(logIds.GetValueOrDefault(job) ?? []))
                {
                    wrong.Add(job);
                }
            }
        }

        return new AuditVerdict(caughtUp, wrong.Count, wrong.Take(10).ToList());
    }

    private static async Task<long> ScalarAsync(NpgsqlDataSource dataSource, string sql)
    {
        await using var command = dataSource.CreateCommand(sql);
        return Convert.ToInt64(await command.ExecuteScalarAsync());
    }
}
