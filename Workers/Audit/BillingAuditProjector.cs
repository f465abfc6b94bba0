using Marten;
using Npgsql;
using Platform.Core.Audit;
using Platform.Core.Data;

namespace Platform.Workers.Audit;

/// <summary>
/// Projects <c>billing_audit</c> (written in the same transaction as each billing step) into Marten's event store: one
/// stream per Stripe webhook event and one per user's subscription (subscription changes, customer links, checkouts).
/// </summary>
public sealed class BillingAuditProjector(NpgsqlDataSource dataSource, IDocumentStore store, SchemaReadiness schema, ILogger<BillingAuditProjector> logger)
    : OutboxProjector(dataSource, store, schema, logger)
{
    public const string Checkpoint = "billing_audit";

    private static readonly HashSet<string> SubscriptionActions = ["subscription_changed", "customer_linked", "checkout_started", "duplicate_subscription"];

    protected override string CheckpointId => Checkpoint;

    protected override long? LockKey => 0x62696c6c5f617564; // "bill_aud"

    protected override async Task<List<OutboxEntry>> ReadAfterAsync(long lastId, CancellationToken cancellationToken)
    {
        await using var command = DataSource.CreateCommand(
            """
            SELECT id, occurred_at, action, webhook_event_id, stripe_event_id, event_type, user_id, actor, message, details::text
            FROM billing_audit
            WHERE id > @last
            ORDER BY id
            LIMIT @limit
            """);
        command.Parameters.AddWithValue("last", lastId);
        command.Parameters.AddWithValue("limit", BatchSize);
        var rows = new List<OutboxEntry>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var action = reader.GetString(2);
            var audit = AuditStreams.BillingEvent(action);
            audit.LogId = reader.GetInt64(0);
            audit.At = reader.GetFieldValue<DateTimeOffset>(1);
            audit.WebhookEventId = reader.IsDBNull(3) ? null : reader.GetGuid(3);
            audit.StripeEventId = reader.IsDBNull(4) ? null : reader.GetString(4);
            audit.EventType = reader.IsDBNull(5) ? null : reader.GetString(5);
            audit.UserId = reader.IsDBNull(6) ? null : reader.GetGuid(6);
            audit.Actor = reader.GetString(7);
            audit.Message = reader.IsDBNull(8) ? null : reader.GetString(8);
            audit.Details = reader.IsDBNull(9) ? null : reader.GetString(9);

            var streams = new List<Guid>(2);
            if (audit.WebhookEventId is { } webhook)
            {
                streams.Add(webhook);
            }

            if (audit.UserId is { } user && SubscriptionActions.Contains(action))
            {
                streams.Add(AuditStreams.Subscription(user));
            }

            // A row with neither (e.g. a bare test row) still advances the checkpoint.
            rows.Add(new OutboxEntry(audit.LogId, streams, audit));
        }

        return rows;
    }
}
