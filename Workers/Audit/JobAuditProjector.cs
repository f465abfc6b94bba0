using Marten;
using Npgsql;
using Platform.Core.Data;

namespace Platform.Workers.Audit;

/// <summary>
/// Projects <c>job_log</c> (written in the same transaction as every job state change) into Marten's event store,
/// one stream per job (stream id = job id), one event per row (<see cref="JobLogEvents"/>).
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

    private string[]? events;
    private string[]? aliases;
    private string[]? dotnetTypes;

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
    /// One statement appends the events of every row with an id in (<paramref name="lastId"/>, last ready id]. A gap
    /// the batch gave up waiting for and that has committed since is projected too: the checkpoint moves past it.
    /// </summary>
    protected override async Task AppendAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, long lastId,
        IReadOnlyList<OutboxEntry> ready, CancellationToken cancellationToken)
    {
        if (events is null)
        {
            var types = JobLogEvents.Types.Select(t => (t.Key, Appender.TypeOf(t.Value))).ToList();
            aliases = types.Select(t => t.Item2.Alias).ToArray();
            dotnetTypes = types.Select(t => t.Item2.DotNetType).ToArray();
            events = types.Select(t => t.Key).ToArray();
        }

        var appended = await BulkEventAppender.AppendFromQueryAsync(connection, transaction, appendSql, parameters =>
        {
            parameters.AddWithValue("after", lastId);
            parameters.AddWithValue("upto", ready[^1].Id);
            parameters.AddWithValue("events", events);
            parameters.AddWithValue("aliases", aliases!);
            parameters.AddWithValue("dotnet_types", dotnetTypes!);
        }, cancellationToken);
        if (appended < ready.Count)
        {
            throw new InvalidOperationException($"Appended {appended} of {ready.Count} job audit events (an archived stream?).");
        }
    }
}
