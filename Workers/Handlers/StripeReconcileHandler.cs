using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Npgsql;
using NpgsqlTypes;
using Platform.Core.Billing;
using Platform.Core.Jobs.Args;
using Platform.Workers.Queue;
using Stripe;

namespace Platform.Workers.Handlers;

/// <summary>
/// Job type <c>stripe_reconcile</c> (scheduled): lists Stripe's events since the newest one seen last time
/// (<c>GET /v1/events?created[gte]=...</c>, paged with <c>starting_after</c>, a 5-minute overlap because <c>created</c>
/// has one-second resolution) and feeds each through the same idempotent intake as the webhook receiver, so an event
/// whose webhook never arrived is stored and processed once, and one already received changes nothing. Then it
/// replays recent events that ended <c>failed</c> (at most <c>Stripe:ReconcileReplays</c> times each). Progress
/// (share of the time window covered) is reported like any job's. A listed event PostgreSQL cannot store
/// (<see cref="StripeWebhookStore.IsUnstorableEvent"/>) is skipped with an error log, not retried with the whole run.
/// </summary>
public sealed partial class StripeReconcileHandler(
    NpgsqlDataSource dataSource, StripeGateway stripe, TimeProvider clock, ILogger<StripeReconcileHandler> logger)
    : JobHandler<StripeReconcileArgs>
{
    private static readonly TimeSpan Overlap = TimeSpan.FromMinutes(5);

    protected override async Task<JsonNode?> HandleAsync(StripeReconcileArgs args, JobContext context, CancellationToken cancellationToken)
    {
        if (!stripe.IsConfigured)
        {
            throw new PermanentJobFailureException("Stripe:SecretKey is not set in the Workers: cannot list Stripe's events.");
        }

        var now = clock.GetUtcNow();
        DateTimeOffset? cursor;
        await using (var read = dataSource.CreateCommand("SELECT last_event_created FROM stripe_reconcile_state WHERE id"))
        {
            cursor = await read.ExecuteScalarAsync(cancellationToken) is DateTime last ? new DateTimeOffset(last, TimeSpan.Zero) : null;
        }

        var since = cursor is { } c ? c - Overlap : now - stripe.Options.ReconcileLookback;
        var window = Math.Max(1, (now - since).TotalSeconds);
        string? startingAfter = null;
        DateTimeOffset? newest = null;
        string? newestId = null;
        int pages = 0, seen = 0, recorded = 0;
        bool hasMore;
        do
        {
            var path = $"/v1/events?limit=100&created%5Bgte%5D={since.ToUnixTimeSeconds()}"
                + (startingAfter is null ? string.Empty : $"&starting_after={Uri.EscapeDataString(startingAfter)}");
            StripeResponse response;
            try
            {
                response = await stripe.Client.RawRequestAsync(HttpMethod.Get, path, cancellationToken: cancellationToken);
            }
            catch (StripeException error) when (error.HttpStatusCode is HttpStatusCode.BadRequest or HttpStatusCode.Unauthorized
                                                or HttpStatusCode.Forbidden or HttpStatusCode.NotFound)
            {
                throw new PermanentJobFailureException($"Stripe refused to list events ({(int)error.HttpStatusCode}): {error.Message}", error);
            }

            using var page = JsonDocument.Parse(response.Content);
            hasMore = page.RootElement.TryGetProperty("has_more", out var more) && more.ValueKind == JsonValueKind.True;
            var oldestOnPage = now;
            foreach (var item in page.RootElement.GetProperty("data").EnumerateArray())
            {
                if (!StripeEventEnvelope.TryRead(item, out var envelope, out var error))
                {
                    LogSkipped(error!);
                    continue;
                }

                seen++;
                startingAfter = envelope!.Id;
                oldestOnPage = envelope.Created;
                if (newest is null || envelope.Created > newest)
                {
                    newest = envelope.Created;
                    newestId = envelope.Id;
                }

                RecordedStripeEvent result;
                try
                {
                    result = await StripeWebhookStore.RecordAsync(
                        dataSource, envelope, item.GetRawText(), StripeEventSource.Reconciliation, cancellationToken);
                }
                catch (PostgresException refused) when (StripeWebhookStore.IsUnstorableEvent(refused))
                {
                    // Retrying can never store it: failing here would fail every run, as the cursor is saved at the end.
                    LogUnstorable(envelope.Id, $"{refused.SqlState}: {refused.MessageText}");
                    continue;
                }

                if (result.Inserted)
                {
                    recorded++;
                    LogRecovered(envelope.Id, envelope.Type);
                }
            }

            pages++;
            var covered = Math.Clamp((now - oldestOnPage).TotalSeconds / window * 100, 0, 99);
            await context.ReportProgressAsync(
                hasMore ? (int)covered : 100, $"page {pages}: {seen} events listed, {recorded} missed webhooks recorded", cancellationToken);
        }
        while (hasMore && startingAfter is not null);

        await using (var save = dataSource.CreateCommand(
            """
            INSERT INTO stripe_reconcile_state AS s (id, last_event_created, last_event_id, last_run_at, events_seen, events_recorded)
            VALUES (true, @created, @event_id, now(), @seen, @recorded)
            ON CONFLICT (id) DO UPDATE
            SET last_event_created = greatest(s.last_event_created, EXCLUDED.last_event_created),
                last_event_id      = CASE WHEN EXCLUDED.last_event_created >= s.last_event_created OR s.last_event_created IS NULL
                                          THEN EXCLUDED.last_event_id ELSE s.last_event_id END,
                last_run_at        = now(),
                events_seen        = s.events_seen + EXCLUDED.events_seen,
                events_recorded    = s.events_recorded + EXCLUDED.events_recorded
            """))
        {
            save.Parameters.Add(new NpgsqlParameter("created", NpgsqlDbType.TimestampTz) { Value = (object?)newest ?? since });
            save.Parameters.Add(new NpgsqlParameter("event_id", NpgsqlDbType.Text) { Value = (object?)newestId ?? DBNull.Value });
            save.Parameters.AddWithValue("seen", (long)seen);
            save.Parameters.AddWithValue("recorded", (long)recorded);
            await save.ExecuteNonQueryAsync(cancellationToken);
        }

        // Events that ended failed (their retries ran out, e.g. while Stripe's API was down) get another chance.
        var replayed = new JsonArray();
        if (stripe.Options.ReconcileReplays > 0)
        {
            await using var replay = dataSource.CreateCommand(
                "SELECT stripe_event_id, event_type FROM replay_failed_stripe_webhooks(@max_age, @max_replays, 100)");
            replay.Parameters.AddWithValue("max_age", stripe.Options.ReconcileLookback);
            replay.Parameters.AddWithValue("max_replays", stripe.Options.ReconcileReplays);
            await using var reader = await replay.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                LogReplayed(reader.GetString(0), reader.GetString(1));
                replayed.Add(reader.GetString(0));
            }
        }

        return new JsonObject
        {
            ["since"] = since,
            ["pages"] = pages,
            ["events_seen"] = seen,
            ["missed_recorded"] = recorded,
            ["newest_event_id"] = newestId,
            ["failed_replayed"] = replayed,
        };
    }

    [LoggerMessage(LogLevel.Warning, "Reconciliation recorded Stripe event {StripeEventId} ({EventType}) whose webhook never arrived")]
    private partial void LogRecovered(string stripeEventId, string eventType);

    [LoggerMessage(LogLevel.Warning, "Reconciliation replayed Stripe event {StripeEventId} ({EventType}), which had failed")]
    private partial void LogReplayed(string stripeEventId, string eventType);

    [LoggerMessage(LogLevel.Error, "Reconciliation skipped Stripe event {StripeEventId}: PostgreSQL cannot store it ({Reason})")]
    private partial void LogUnstorable(string stripeEventId, string reason);

    [LoggerMessage(LogLevel.Warning, "Reconciliation skipped a listed item that is not a Stripe event: {Reason}")]
    private partial void LogSkipped(string reason);
}
