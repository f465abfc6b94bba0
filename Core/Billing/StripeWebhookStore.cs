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
/// The one intake path of Stripe events (webhook receiver and reconciliation): <c>record_stripe_webhooks</c>
/// (migration 025) stores each event once (ON CONFLICT on <c>stripe_event_id</c>), enqueues its <c>stripe_webhook</c> job
/// and writes its <c>received</c>/<c>ignored</c> audit row, only when the event is new, for a whole batch in one call.
/// The event is Stripe's text (customer-entered descriptions, metadata): it is stored cleaned with
/// <see cref="PostgresText"/>, since <c>jsonb</c> refuses <c>\u0000</c> and unpaired surrogate escapes.
/// </summary>
public static class StripeWebhookStore
{
    private const string RecordSql =
        """
        SELECT ordinal, webhook_id, inserted, job_id
        FROM record_stripe_webhooks(@event_ids, @event_types, @payloads, @api_versions, @livemodes, @created,
                                    @object_ids, @process, @sources)
        """;

    /// <summary>
    /// True when PostgreSQL refused the event itself, so storing it again can never succeed: SQLSTATE class 22 (data
    /// exception, e.g. 22003 for a number <c>jsonb</c>'s numeric cannot hold) or 54 (program limit exceeded, e.g. 54000
    /// for a value too long for a btree index row), on <paramref name="error"/> or an inner exception
    /// (https://www.postgresql.org/docs/current/errcodes-appendix.html). The receiver answers 400 (not 500) and
    /// reconciliation skips the event. Never an outage (<see cref="DatabaseOutage.IsOutage"/>: classes 08, 53, 57).
    /// </summary>
    public static bool IsUnstorableEvent(Exception error)
    {
        for (var current = error; current is not null; current = current.InnerException)
        {
            if (current is PostgresException postgres)
            {
                return postgres.SqlState.StartsWith("22", StringComparison.Ordinal) || postgres.SqlState.StartsWith("54", StringComparison.Ordinal);
            }
        }

        return false;
    }

    public static async Task<RecordedStripeEvent> RecordAsync(
        NpgsqlDataSource dataSource, StripeEventEnvelope envelope, string payloadJson, string source, CancellationToken cancellationToken = default) =>
        (await RecordBatchAsync(dataSource, [new StripeEventToRecord(envelope, payloadJson, source)], cancellationToken))[0];

    /// <summary>
    /// Records <paramref name="events"/> with ONE statement (<c>record_stripe_webhooks</c>, one array element per event),
    /// so one transaction, one commit and one WAL flush for all of them, and set-based inserts instead of a function call
    /// per event. All or nothing: when the statement fails, none of the events is stored and the exception is thrown.
    /// Results are in the order of <paramref name="events"/>. The same event id twice in a batch is stored once: the
    /// first copy inserts it, a later one is a duplicate (<c>Inserted = false</c>) with the stored ids. The database
    /// inserts in event-id order, so two batches holding the same ids (two Api replicas) wait on each other instead of
    /// deadlocking, and a duplicate of an event a concurrent batch committed gets that batch's ids.
    /// </summary>
    public static async Task<IReadOnlyList<RecordedStripeEvent>> RecordBatchAsync(
        NpgsqlDataSource dataSource, IReadOnlyList<StripeEventToRecord> events, CancellationToken cancellationToken = default)
    {
        if (events.Count == 0)
        {
            return [];
        }

        var count = events.Count;
        var ids = new string[count];
        var types = new string[count];
        var payloads = new string[count];
        var apiVersions = new string?[count];
        var livemodes = new bool[count];
        var created = new DateTimeOffset[count];
        var objectIds = new string?[count];
        var process = new bool[count];
        var sources = new string[count];
        for (var i = 0; i < count; i++)
        {
            var (envelope, payload, source) = (events[i].Envelope, events[i].PayloadJson, events[i].Source);
            ids[i] = PostgresText.Clean(envelope.Id)!;
            types[i] = PostgresText.Clean(envelope.Type)!;
            payloads[i] = PostgresText.CleanJson(payload)!;
            apiVersions[i] = PostgresText.Clean(envelope.ApiVersion);
            livemodes[i] = envelope.Livemode;
            created[i] = envelope.Created;
            objectIds[i] = PostgresText.Clean(envelope.ObjectId);
            process[i] = StripeEventTypes.IsHandled(envelope.Type);
            sources[i] = source;
        }

        await using var command = dataSource.CreateCommand(RecordSql);
        command.Parameters.Add(new NpgsqlParameter("event_ids", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = ids });
        command.Parameters.Add(new NpgsqlParameter("event_types", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = types });
        command.Parameters.Add(new NpgsqlParameter("payloads", NpgsqlDbType.Array | NpgsqlDbType.Jsonb) { Value = payloads });
        command.Parameters.Add(new NpgsqlParameter("api_versions", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = apiVersions });
        command.Parameters.Add(new NpgsqlParameter("livemodes", NpgsqlDbType.Array | NpgsqlDbType.Boolean) { Value = livemodes });
        command.Parameters.Add(new NpgsqlParameter("created", NpgsqlDbType.Array | NpgsqlDbType.TimestampTz) { Value = created });
        command.Parameters.Add(new NpgsqlParameter("object_ids", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = objectIds });
        command.Parameters.Add(new NpgsqlParameter("process", NpgsqlDbType.Array | NpgsqlDbType.Boolean) { Value = process });
        command.Parameters.Add(new NpgsqlParameter("sources", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = sources });

        var results = new RecordedStripeEvent?[count];
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                results[reader.GetInt32(0) - 1] =
                    new RecordedStripeEvent(reader.GetGuid(1), reader.GetBoolean(2), reader.IsDBNull(3) ? null : reader.GetGuid(3));
            }
        }

        var missing = Array.IndexOf(results, null); // only when retention deleted the event in between
        if (missing >= 0)
        {
            throw new InvalidOperationException($"Stripe event {ids[missing]} was stored but could not be read back.");
        }

        return Array.ConvertAll(results, result => result!);
    }
}
