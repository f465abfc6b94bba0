using System.Text.Json;
using Npgsql;
using NpgsqlTypes;
using Platform.Core.Data;

namespace Platform.Core.Billing;

/// <summary>One row of the append-only <c>billing_audit</c> trail (to move onto the Marten event store).</summary>
public sealed record BillingAuditEntry(string Action, string Actor)
{
    public Guid? WebhookEventId { get; init; }

    public string? StripeEventId { get; init; }

    public string? EventType { get; init; }

    public Guid? UserId { get; init; }

    public string? Message { get; init; }

    public object? Details { get; init; }
}

public static class BillingAudit
{
    public const string Received = "received";
    public const string Ignored = "ignored";
    public const string Processed = "processed";
    public const string RetryScheduled = "retry_scheduled";
    public const string Failed = "failed";
    public const string Replayed = "replayed";
    public const string SubscriptionChanged = "subscription_changed";
    public const string CustomerLinked = "customer_linked";
    public const string CheckoutStarted = "checkout_started";

    /// <summary>Stripe reports a user with more than one live subscription (e.g. two checkouts): support must refund one.</summary>
    public const string DuplicateSubscription = "duplicate_subscription";

    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    /// <summary>
    /// Appends the entry in the caller's transaction, so it commits exactly with the change it describes. Its texts
    /// (often Stripe's ids and error messages) are written through <see cref="PostgresText"/>.
    /// </summary>
    public static async Task AppendAsync(
        NpgsqlConnection connection, NpgsqlTransaction? transaction, BillingAuditEntry entry, CancellationToken cancellationToken = default)
    {
        await using var command = new NpgsqlCommand(
            """
            INSERT INTO billing_audit (action, actor, webhook_event_id, stripe_event_id, event_type, user_id, message, details)
            VALUES (@action, @actor, @webhook_event_id, @stripe_event_id, @event_type, @user_id, @message, @details)
            """,
            connection,
            transaction);
        command.Parameters.AddWithValue("action", entry.Action);
        command.Parameters.AddWithValue("actor", entry.Actor);
        command.Parameters.Add(new NpgsqlParameter("webhook_event_id", NpgsqlDbType.Uuid) { Value = (object?)entry.WebhookEventId ?? DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter("stripe_event_id", NpgsqlDbType.Text) { Value = (object?)PostgresText.Clean(entry.StripeEventId) ?? DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter("event_type", NpgsqlDbType.Text) { Value = (object?)PostgresText.Clean(entry.EventType) ?? DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter("user_id", NpgsqlDbType.Uuid) { Value = (object?)entry.UserId ?? DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter("message", NpgsqlDbType.Text) { Value = (object?)PostgresText.Clean(entry.Message) ?? DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter("details", NpgsqlDbType.Jsonb)
        {
            Value = entry.Details is null ? DBNull.Value : PostgresText.CleanJson(JsonSerializer.Serialize(entry.Details, Json))!,
        });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
