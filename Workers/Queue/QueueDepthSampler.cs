using Npgsql;
using Platform.Core.Data;
using Platform.Workers.Queue.Maintenance;

namespace Platform.Workers.Queue;

/// <summary>
/// Samples pending/processing counts per queue (<c>job_queue_stats(false)</c>) every 10 s for the
/// <c>jobs.queue_depth</c> gauge. Every replica samples (no lock): the gauge is read from this process.
/// </summary>
public sealed class QueueDepthSampler : MaintenanceTask
{
    private volatile IReadOnlyList<(string Queue, string Status, long Count)> latest = [];

    public QueueDepthSampler(NpgsqlDataSource dataSource, QueueMetrics metrics, SchemaReadiness schema, ILogger<QueueDepthSampler> logger)
        : base(dataSource, schema, logger) =>
        metrics.ObserveDepth(() => latest);

    protected override TimeSpan Interval => TimeSpan.FromSeconds(10);

    protected override long? LockKey => null;

    /// <summary>A sample is not a change: only failures are worth a log line.</summary>
    protected override LogLevel RowsLogLevel => LogLevel.Trace;

    protected override async Task<int> RunBatchAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT queue, status, count FROM job_queue_stats(false)", connection, transaction);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var rows = new List<(string, string, long)>();
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add((reader.GetString(0), reader.GetString(1), reader.GetInt64(2)));
        }

        latest = rows;
        return rows.Count;
    }
}
