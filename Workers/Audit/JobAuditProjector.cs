using Marten;
using Npgsql;
using Platform.Core.Data;

namespace Platform.Workers.Audit;

/// <summary>
/// Projects <c>job_log</c> (written in the same transaction as every job state change) into Marten's event store,
/// one stream per job (stream id = job id), one <see cref="Platform.Core.Audit.JobActivity"/> event per job per batch
/// holding that batch's rows of the job in log order (<see cref="JobLogEvents"/>); read back as one entry per row by
/// <see cref="Platform.Core.Audit.JobAuditTrail"/>.
/// <para>
/// The batch reads only the ids of the next rows (to find gaps, see <see cref="OutboxProjector"/>); the events
/// themselves are built and appended by the server in one statement straight from <c>job_log</c>
/// (<see cref="JobLogEvents.Input"/>), so no row or JSON body crosses the wire or is built in C#.
/// </para>
/// </summary>
public sealed class JobAuditProjector(NpgsqlDataSource dataSource, IDocumentStore store, SchemaReadiness schema, ILogger<JobAuditProjector> logger)
    : OutboxProjector(dataSource, store, schema, logger)
{
    public const string Checkpoint = "job_log";

    private readonly string appendSql = BulkEventAppender.Statement(JobLogEvents.Input);

    private readonly string[] logEvents = JobLogEvents.Names.Keys.ToArray();
    private readonly string[] names = JobLogEvents.Names.Values.ToArray();

    protected override string CheckpointId => Checkpoint;

    protected override long? LockKey => 0x6a6f625f61756469; // "job_audi"

    protected override async Task<List<OutboxEntry>> ReadAfterAsync(long lastId, CancellationToken cancellationToken)
    {
        await using var command = DataSource.CreateCommand(
            "SELECT l.id, l.job_id FROM job_log l WHERE l.id > @last ORDER BY l.id LIMIT @limit");
        command.Parameters.AddWithValue("last", lastId);
        command.Parameters.AddWithValue("limit", BatchSize);
        var rows = new List<OutboxEntry>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(new OutboxEntry(reader.GetInt64(0), [reader.GetGuid(1)], null));
        }

        return rows;
    }

    /// <summary>
    /// One statement appends one event per job for every row with an id in (<paramref name="lastId"/>, last ready id].
    /// A gap the batch gave up waiting for and that has committed since is projected too: the checkpoint moves past it.
    /// </summary>
    /// <exception cref="InvalidOperationException">Fewer events than jobs in <paramref name="ready"/> (an archived stream).</exception>
    protected override async Task AppendAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, long lastId,
        IReadOnlyList<OutboxEntry> ready, CancellationToken cancellationToken)
    {
        var (alias, dotnetType) = Appender.TypeOf(typeof(Platform.Core.Audit.JobActivity));
        await using (var utc = new NpgsqlCommand("SET LOCAL TimeZone = 'UTC'", connection, transaction))
        {
            await utc.ExecuteNonQueryAsync(cancellationToken); // the events' "At" is JSON of a timestamptz: +00:00
        }

        var appended = await BulkEventAppender.AppendFromQueryAsync(connection, transaction, appendSql, parameters =>
        {
            parameters.AddWithValue("after", lastId);
            parameters.AddWithValue("upto", ready[^1].Id);
            parameters.AddWithValue("events", logEvents);
            parameters.AddWithValue("names", names);
            parameters.AddWithValue("alias", alias);
            parameters.AddWithValue("dotnet_type", dotnetType);
        }, cancellationToken);
        var jobs = ready.Select(r => r.Streams[0]).Distinct().Count();
        if (appended < jobs)
        {
            throw new InvalidOperationException($"Appended {appended} job audit events for {jobs} jobs (an archived stream?).");
        }
    }
}
