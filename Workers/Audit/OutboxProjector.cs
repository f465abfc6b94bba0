using Marten;
using Npgsql;
using Platform.Core.Audit;
using Platform.Core.Data;
using Platform.Workers.Queue.Maintenance;

namespace Platform.Workers.Audit;

/// <summary>A row of an append-only log table, as the event it becomes in one or more audit streams.</summary>
/// <param name="Id">The row's identity (ascending with insertion).</param>
/// <param name="Streams">The streams the event is appended to.</param>
/// <param name="Event">The event; null when the projector builds its events in SQL (it overrides
/// <see cref="OutboxProjector.AppendAsync"/>) and reads only the row ids.</param>
public sealed record OutboxEntry(long Id, IReadOnlyList<Guid> Streams, object? Event);

/// <summary>
/// Projects an append-only log table (written in the same transaction as the change it records: an outbox) into
/// Marten's event store, in batches. The checkpoint is a Marten document saved in the same transaction as the events,
/// so each row becomes exactly one event per stream. A <see cref="MaintenanceTask"/>: one replica projects a batch at a
/// time (the tick's advisory lock is held until the batch has committed), full batches follow each other at once and an
/// idle projector looks again after 250 ms. Ids of transactions still in flight can commit late: the projector stops
/// at such a gap for a few seconds before skipping it (a rolled-back id never arrives).
/// </summary>
public abstract class OutboxProjector(NpgsqlDataSource dataSource, IDocumentStore store, SchemaReadiness schema, ILogger logger)
    : MaintenanceTask(dataSource, schema, logger)
{
    private static readonly TimeSpan GapPatience = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan GapWait = TimeSpan.FromMilliseconds(5);
    private const int GapWaits = 20;
    private readonly Dictionary<long, DateTime> gapsSeen = [];

    /// <summary>The one-statement append of this projector's events.</summary>
    protected BulkEventAppender Appender { get; } = new(store);

    /// <summary>The checkpoint document's id (one per log table).</summary>
    protected abstract string CheckpointId { get; }

    protected NpgsqlDataSource DataSource { get; } = dataSource;

    /// <summary>Rows read and projected per batch.</summary>
    protected override int BatchSize => 5000;

    protected override TimeSpan Interval => TimeSpan.FromMilliseconds(250);

    /// <summary>Busy under load: a line per batch would flood the log.</summary>
    protected override LogLevel RowsLogLevel => LogLevel.Debug;

    protected override string TaskName => $"{GetType().Name}({CheckpointId})";

    /// <summary>Up to <see cref="BatchSize"/> rows with an id above <paramref name="lastId"/>, in id order.</summary>
    protected abstract Task<List<OutboxEntry>> ReadAfterAsync(long lastId, CancellationToken cancellationToken);

    /// <summary>The batch runs on its own connection; the tick's transaction only holds the lock meanwhile.</summary>
    protected override Task<int> RunBatchAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken) =>
        ProjectBatchAsync(cancellationToken);

    /// <summary>Projects the next batch of rows; returns how many rows it consumed.</summary>
    public async Task<int> ProjectBatchAsync(CancellationToken cancellationToken)
    {
        // The events and the checkpoint commit in one transaction: each row becomes its events exactly once.
        await using var connection = await DataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using var session = store.LightweightSession(Marten.Services.SessionOptions.ForTransaction(transaction));
        var checkpoint = await session.LoadAsync<AuditCheckpoint>(CheckpointId, cancellationToken)
            ?? new AuditCheckpoint { Id = CheckpointId };
        var ready = await ReadReadyAsync(checkpoint.LastLogId, cancellationToken);
        if (ready.Count == 0)
        {
            return 0;
        }

        await AppendAsync(connection, transaction, lastId: checkpoint.LastLogId, ready, cancellationToken);
        checkpoint.LastLogId = ready[^1].Id;
        session.Store(checkpoint);
        await session.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return ready.Count;
    }

    /// <summary>
    /// Appends the events of <paramref name="ready"/> (rows after <paramref name="lastId"/> without a gap, in id order)
    /// inside the batch's transaction. By default each row's <see cref="OutboxEntry.Event"/> goes to each of its streams.
    /// </summary>
    protected virtual Task AppendAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, long lastId,
        IReadOnlyList<OutboxEntry> ready, CancellationToken cancellationToken)
    {
        var events = new List<(Guid Stream, object Event)>(ready.Count);
        foreach (var row in ready)
        {
            var @event = row.Event ?? throw new InvalidOperationException($"{TaskName}: row {row.Id} has no event.");
            foreach (var stream in row.Streams)
            {
                events.Add((stream, @event));
            }
        }

        return Appender.AppendAsync(connection, transaction, events, cancellationToken);
    }

    /// <summary>
    /// Up to <see cref="BatchSize"/> rows after <paramref name="lastId"/> without a gap. When a gap cuts the batch short
    /// while later rows are already there, the transaction holding the missing id is still committing (the queue's claim
    /// and completion statements write their log rows and commit within milliseconds, and they overlap all the time
    /// under load): wait for it a little (<see cref="GapWait"/>, at most <see cref="GapWaits"/> times) and go on after it,
    /// instead of handing back a short batch, which the caller takes for "caught up" and answers with its idle delay
    /// (250 ms: under load that capped the projection at one batch per delay, about 6,700 jobs/s).
    /// </summary>
    private async Task<List<OutboxEntry>> ReadReadyAsync(long lastId, CancellationToken cancellationToken)
    {
        var ready = new List<OutboxEntry>();
        for (var waits = 0; ; waits++)
        {
            var rows = await ReadAfterAsync(lastId, cancellationToken);
            var contiguous = TakeContiguous(lastId, rows);
            ready.AddRange(contiguous.Count <= BatchSize - ready.Count ? contiguous : contiguous[..(BatchSize - ready.Count)]);
            lastId = ready.Count > 0 ? ready[^1].Id : lastId;
            var cutByGap = contiguous.Count < rows.Count;
            if (!cutByGap || ready.Count >= BatchSize || waits == GapWaits)
            {
                return ready;
            }

            await Task.Delay(GapWait, cancellationToken);
        }
    }

    /// <summary>The rows up to the first gap that may still fill (a transaction not yet committed).</summary>
    private List<OutboxEntry> TakeContiguous(long lastId, List<OutboxEntry> rows)
    {
        var ready = new List<OutboxEntry>(rows.Count);
        var expected = lastId + 1;
        foreach (var row in rows)
        {
            if (row.Id != expected && lastId > 0)
            {
                var now = DateTime.UtcNow;
                var firstSeen = gapsSeen.TryGetValue(expected, out var seen) ? seen : gapsSeen[expected] = now;
                if (now - firstSeen < GapPatience)
                {
                    break;
                }

                gapsSeen.Remove(expected);
            }

            ready.Add(row);
            expected = row.Id + 1;
        }

        return ready;
    }
}
