using System.Text.Json.Nodes;
using Npgsql;
using Platform.Core.Billing;
using Platform.Core.Data;
using Platform.Core.Jobs;
using Platform.Core.Jobs.Args;
using Platform.Workers.Billing;
using Platform.Workers.Queue;

namespace Platform.Workers.Handlers;

/// <summary>
/// Job type <c>stripe_webhook</c>: applies one stored Stripe event (<see cref="StripeWebhookArgs.WebhookEventId"/>) through
/// <see cref="SubscriptionSync"/>. Keeps <c>stripe_webhook_events.status</c> in step with the job (mark_webhook_*):
/// processing on start, processed with the change, pending again while retries remain, failed with the error kept
/// after the last attempt (1 try + 3 retries, backoff from the job type). Every step is audited. An event that is
/// already processed (a duplicate job, a replay raced by a retry) is skipped, so nothing applies twice.
/// </summary>
public sealed partial class StripeWebhookHandler(NpgsqlDataSource dataSource, SubscriptionSync sync, ILogger<StripeWebhookHandler> logger)
    : JobHandler<StripeWebhookArgs>
{
    protected override async Task<JsonNode?> HandleAsync(StripeWebhookArgs args, JobContext context, CancellationToken cancellationToken)
    {
        var webhookId = args.WebhookEventId;
        var stored = await StoredStripeEvent.LoadAsync(dataSource, webhookId, cancellationToken);
        if (stored is null)
        {
            return new JsonObject { ["skipped"] = "the event is no longer stored (retention)" };
        }

        await using (var processing = dataSource.CreateCommand("SELECT mark_webhook_processing(@id)"))
        {
            processing.Parameters.AddWithValue("id", webhookId);
            if (!(bool)(await processing.ExecuteScalarAsync(cancellationToken))!)
            {
                return new JsonObject { ["skipped"] = $"the event is already {stored.Status}", ["stripe_event_id"] = stored.StripeEventId };
            }
        }

        var actor = $"worker:{context.WorkerId}";
        try
        {
            return await sync.ApplyAsync(stored, actor, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await RecordFailureAsync(stored, "Interrupted (cancelled, timed out or shutting down); it will run again.", final: false, actor, context.Attempt);
            throw;
        }
        catch (Exception error)
        {
            var permanent = error is PermanentJobFailureException;
            var final = permanent || context.Attempt >= context.Job.MaxAttempts;
            var message = permanent ? error.Message : $"{error.GetType().Name}: {error.Message}";
            var status = await RecordFailureAsync(stored, message, final, actor, context.Attempt);
            LogFailed(stored.StripeEventId, stored.EventType, context.Attempt, context.Job.MaxAttempts, status ?? "?", message);
            if (permanent)
            {
                throw;
            }

            // A system job, seen by admins only: Stripe's error text is what they need to act on.
            throw new JobFailureException(message, error);
        }
    }

    /// <summary>mark_webhook_failed and the audit row in one transaction; returns the event's status after it.</summary>
    private async Task<string?> RecordFailureAsync(StoredStripeEvent stored, string message, bool final, string actor, int attempt)
    {
        await using var connection = await dataSource.OpenConnectionAsync(CancellationToken.None);
        await using var transaction = await connection.BeginTransactionAsync(CancellationToken.None);
        string? status;
        await using (var failed = new NpgsqlCommand("SELECT mark_webhook_failed(@id, @error, @final)", connection, transaction))
        {
            failed.Parameters.AddWithValue("id", stored.Id);
            failed.Parameters.AddWithValue("error", PostgresText.Truncate(message, 4000)!); // Stripe's or a remote error text
            failed.Parameters.AddWithValue("final", final);
            status = await failed.ExecuteScalarAsync(CancellationToken.None) as string;
        }

        await BillingAudit.AppendAsync(connection, transaction, new BillingAuditEntry(status == "failed" ? BillingAudit.Failed : BillingAudit.RetryScheduled, actor)
        {
            WebhookEventId = stored.Id,
            StripeEventId = stored.StripeEventId,
            EventType = stored.EventType,
            Message = message,
            Details = new { attempt, final = status == "failed" },
        }, CancellationToken.None);
        await transaction.CommitAsync(CancellationToken.None);
        return status;
    }

    [LoggerMessage(LogLevel.Warning, "Stripe event {StripeEventId} ({EventType}) attempt {Attempt} of {MaxAttempts} failed, now {Status}: {Error}")]
    private partial void LogFailed(string stripeEventId, string eventType, int attempt, int maxAttempts, string status, string error);
}
