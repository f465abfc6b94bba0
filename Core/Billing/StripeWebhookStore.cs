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

/// <summary>One event to store: its envelope, its JSON exactly as received (cleaned on the way in) and its <see cref="StripeEventSource"/>.</summary>
public sealed record StripeEventToRecord(StripeEventEnvelope Envelope, string PayloadJson, string Source);

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
    private const string RecordSql =
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
        """;

    public static async Task<RecordedStripeEvent> RecordAsync(
        NpgsqlDataSource dataSource, StripeEventEnvelope envelope, string payloadJson, string source, CancellationToken cancellationToken = default) =>
        (await RecordBatchAsync(dataSource, [new StripeEventToRecord(envelope, payloadJson, source)], cancellationToken))[0];

    /// <summary>
    /// Records <paramref name="events"/> in ONE implicit transaction and one round trip (an <see cref="NpgsqlBatch"/>:
    /// one statement per event, a single Sync, so one commit and one WAL flush for all of them). All or nothing: when
    /// any statement fails, none of them is stored and the exception is thrown. Results are in the order of
    /// <paramref name="events"/>. The same event id twice in a batch is stored once: the later one is a duplicate
    /// (<c>Inserted = false</c>) with the stored ids. Statements run in event-id order, so two batches holding the same
    /// ids (two Api replicas) wait on each other instead of deadlocking.
    /// </summary>
    public static async Task<IReadOnlyList<RecordedStripeEvent>> RecordBatchAsync(
        NpgsqlDataSource dataSource, IReadOnlyList<StripeEventToRecord> events, CancellationToken cancellationToken = default)
    {
        var order = Enumerable.Range(0, events.Count).OrderBy(i => events[i].Envelope.Id, StringComparer.Ordinal).ToArray();
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var batch = new NpgsqlBatch(connection);
        foreach (var index in order)
        {
            batch.BatchCommands.Add(Command(events[index]));
        }

        var results = new RecordedStripeEvent[events.Count];
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        foreach (var index in order)
        {
            await reader.ReadAsync(cancellationToken);
            results[index] = new RecordedStripeEvent(reader.GetGuid(0), reader.GetBoolean(1), reader.IsDBNull(2) ? null : reader.GetGuid(2));
            await reader.NextResultAsync(cancellationToken);
        }

        return results;
    }

    private static NpgsqlBatchCommand Command(StripeEventToRecord item)
    {
        var envelope = item.Envelope;
        var command = new NpgsqlBatchCommand(RecordSql);
        command.Parameters.AddWithValue("event_id", PostgresText.Clean(envelope.Id)!);
        command.Parameters.AddWithValue("event_type", PostgresText.Clean(envelope.Type)!);
        command.Parameters.Add(new NpgsqlParameter("payload", NpgsqlDbType.Jsonb) { Value = PostgresText.CleanJson(item.PayloadJson)! });
        command.Parameters.Add(new NpgsqlParameter("api_version", NpgsqlDbType.Text) { Value = (object?)PostgresText.Clean(envelope.ApiVersion) ?? DBNull.Value });
        command.Parameters.AddWithValue("livemode", envelope.Livemode);
        command.Parameters.AddWithValue("created", envelope.Created);
        command.Parameters.Add(new NpgsqlParameter("object_id", NpgsqlDbType.Text) { Value = (object?)PostgresText.Clean(envelope.ObjectId) ?? DBNull.Value });
        command.Parameters.AddWithValue("process", StripeEventTypes.IsHandled(envelope.Type));
        command.Parameters.AddWithValue("source", item.Source);
        command.Parameters.AddWithValue("source_actor", item.Source == StripeEventSource.Webhook ? "stripe" : item.Source);
        return command;
    }
}
