using Npgsql;
using NpgsqlTypes;
using Platform.Core.Data;

namespace Platform.Core.Billing;

/// <summary>Where an event came from (<c>stripe_webhook_events.source</c>).</summary>
public static class StripeEventSource
{
    public const string Webhook = "webhook";
    public const string Reconciliation = "reconciliation";
}

/// <param name="Inserted">false for a duplicate: the event was stored before and nothing changed.</param>
public sealed record RecordedStripeEvent(Guid WebhookEventId, bool Inserted, Guid? JobId);

/// <summary>
/// The one intake path of Stripe events (webhook receiver and reconciliation): <c>record_stripe_webhook</c> stores the
/// event once (ON CONFLICT on <c>stripe_event_id</c>) and enqueues its <c>stripe_webhook</c> job in the same statement,
/// and the <c>received</c>/<c>ignored</c> audit row is written by the same statement, only when the event is new.
/// The event is Stripe's text (customer-entered descriptions, metadata): it is stored cleaned with
/// <see cref="PostgresText"/>, since <c>jsonb</c> refuses <c>\u0000</c> and unpaired surrogate escapes.
/// </summary>
public static class StripeWebhookStore
{
    public static async Task<RecordedStripeEvent> RecordAsync(
        NpgsqlDataSource dataSource, StripeEventEnvelope envelope, string payloadJson, string source, CancellationToken cancellationToken = default)
    {
        var process = StripeEventTypes.IsHandled(envelope.Type);
        await using var command = dataSource.CreateCommand(
            """
            WITH r AS MATERIALIZED (
                SELECT * FROM record_stripe_webhook(
                    p_stripe_event_id => @event_id, p_event_type => @event_type, p_payload => @payload,
                    p_api_version => @api_version, p_livemode => @livemode, p_stripe_created_at => @created,
                    p_object_id => @object_id, p_process => @process, p_source => @source)
            ), audit AS (
                INSERT INTO billing_audit (action, actor, webhook_event_id, stripe_event_id, event_type, message, details)
                SELECT CASE WHEN @process THEN 'received' ELSE 'ignored' END, @source_actor, r.webhook_id, @event_id, @event_type,
                       CASE WHEN @process THEN NULL ELSE 'event type not processed: stored and acknowledged' END,
                       jsonb_build_object('source', @source, 'api_version', @api_version, 'livemode', @livemode,
                                          'object_id', @object_id, 'job_id', r.job_id)
                FROM r
                WHERE r.inserted
            )
            SELECT r.webhook_id, r.inserted, r.job_id FROM r
            """);
        command.Parameters.AddWithValue("event_id", PostgresText.Clean(envelope.Id)!);
        command.Parameters.AddWithValue("event_type", PostgresText.Clean(envelope.Type)!);
        command.Parameters.Add(new NpgsqlParameter("payload", NpgsqlDbType.Jsonb) { Value = PostgresText.CleanJson(payloadJson)! });
        command.Parameters.Add(new NpgsqlParameter("api_version", NpgsqlDbType.Text) { Value = (object?)PostgresText.Clean(envelope.ApiVersion) ?? DBNull.Value });
        command.Parameters.AddWithValue("livemode", envelope.Livemode);
        command.Parameters.AddWithValue("created", envelope.Created);
        command.Parameters.Add(new NpgsqlParameter("object_id", NpgsqlDbType.Text) { Value = (object?)PostgresText.Clean(envelope.ObjectId) ?? DBNull.Value });
        command.Parameters.AddWithValue("process", process);
        command.Parameters.AddWithValue("source", source);
        command.Parameters.AddWithValue("source_actor", source == StripeEventSource.Webhook ? "stripe" : source);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return new RecordedStripeEvent(reader.GetGuid(0), reader.GetBoolean(1), reader.IsDBNull(2) ? null : reader.GetGuid(2));
    }
}
