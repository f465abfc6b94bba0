using Microsoft.Extensions.Options;
using Npgsql;
using Platform.Core.Data;

namespace Platform.Workers.Queue.Maintenance;

/// <summary>
/// Deletes finished jobs (completed, failed, cancelled) that finished more than <see cref="WorkerOptions.JobRetention"/>
/// ago (default 30 days), with their <c>job_log</c> rows (a statement trigger), using the seed's
/// <c>cleanup_old_jobs(interval, batch)</c>, <see cref="WorkerOptions.JobRetentionBatchSize"/> jobs per transaction.
/// Pending and running jobs are never touched. Webhook events that pointed at a deleted job keep their row
/// (<c>job_id</c> becomes NULL); the Marten audit trail is kept.
/// </summary>
public sealed class JobRetention(NpgsqlDataSource dataSource, IOptions<WorkerOptions> options, SchemaReadiness schema, ILogger<JobRetention> logger)
    : MaintenanceTask(dataSource, schema, logger)
{
    /// <summary>Advisory lock key of this schedule.</summary>
    public const long Key = 0x6a6f62636c6e; // "jobcln"

    /// <summary>Disabled (zero) when the retention itself is not positive: zero must never mean "delete everything finished".</summary>
    protected override TimeSpan Interval => options.Value.JobRetention > TimeSpan.Zero ? options.Value.JobRetentionInterval : TimeSpan.Zero;

    protected override long? LockKey => Key;

    protected override int BatchSize => options.Value.JobRetentionBatchSize;

    protected override Task<int> RunBatchAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken) =>
        CountAsync(connection, transaction, "cleanup_old_jobs(@older_than, @batch)",
            parameters => parameters.AddWithValue("older_than", options.Value.JobRetention), cancellationToken);
}
