using Microsoft.Extensions.Options;
using Npgsql;
using Platform.Core.Billing;
using Platform.Core.Data;
using Platform.Workers.Queue.Maintenance;

namespace Platform.Workers.Billing;

/// <summary>
/// Deletes handled Stripe events older than <see cref="StripeOptions.WebhookRetention"/> (90 days) with
/// <c>cleanup_old_webhooks(interval, batch)</c>, every <see cref="StripeOptions.RetentionInterval"/>, as a
/// <see cref="MaintenanceTask"/> (small batches, one replica per tick). The billing audit trail is kept.
/// </summary>
public sealed class StripeWebhookRetention(
    NpgsqlDataSource dataSource, IOptions<StripeOptions> options, SchemaReadiness schema, ILogger<StripeWebhookRetention> logger)
    : MaintenanceTask(dataSource, schema, logger)
{
    /// <summary>Advisory lock key of this schedule.</summary>
    public const long Key = 0x77686b636c6e; // "whkcln"

    protected override TimeSpan Interval => options.Value.RetentionInterval;

    protected override long? LockKey => Key;

    protected override int BatchSize => options.Value.RetentionBatchSize;

    protected override Task<int> RunBatchAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken) =>
        CountAsync(connection, transaction, "cleanup_old_webhooks(@older_than, @batch)",
            parameters => parameters.AddWithValue("older_than", options.Value.WebhookRetention), cancellationToken);
}
