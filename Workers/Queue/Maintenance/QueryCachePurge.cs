using Microsoft.Extensions.Options;
using Npgsql;
using Platform.Core.Data;

namespace Platform.Workers.Queue.Maintenance;

/// <summary>
/// Deletes expired rows of the database-side result cache (<c>query_cache</c>, written by <c>cache_set</c>) with the
/// seed's <c>cache_purge_expired()</c>, every <see cref="WorkerOptions.QueryCachePurgeInterval"/> (default 5 min).
/// Reads never see an expired row (<c>cache_get</c> filters on <c>expires_at</c>); this keeps the table small.
/// </summary>
public sealed class QueryCachePurge(NpgsqlDataSource dataSource, IOptions<WorkerOptions> options, SchemaReadiness schema, ILogger<QueryCachePurge> logger)
    : MaintenanceTask(dataSource, schema, logger)
{
    /// <summary>Advisory lock key of this schedule.</summary>
    public const long Key = 0x717263636c6e; // "qrccln"

    protected override TimeSpan Interval => options.Value.QueryCachePurgeInterval;

    protected override long? LockKey => Key;

    /// <summary><c>cache_purge_expired()</c> deletes every expired row in one statement: one batch per tick.</summary>
    protected override Task<int> RunBatchAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken) =>
        CountAsync(connection, transaction, "cache_purge_expired()", null, cancellationToken);
}
