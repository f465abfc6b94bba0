using JasperFx;
using JasperFx.Events;
using Marten;
using Npgsql;

namespace Platform.Core.Audit;

/// <summary>
/// Marten's event store as the platform's append-only audit trail, in schema <c>audit</c>. Never the source of
/// truth for queue state. The schema is created by the migrations runner, never at run time.
/// </summary>
public static class AuditStore
{
    public const string Schema = "audit";

    /// <summary>
    /// The event names the API shows, by event type. A <see cref="JobActivity"/> has none of its own: each of its
    /// entries carries one of these names (<see cref="JobAuditTrail"/>).
    /// </summary>
    public static readonly IReadOnlyDictionary<Type, string> EventNames = new Dictionary<Type, string>
    {
        [typeof(JobEnqueued)] = "enqueued",
        [typeof(JobClaimed)] = "claimed",
        [typeof(JobProgressed)] = "progressed",
        [typeof(JobSucceeded)] = "succeeded",
        [typeof(JobFailed)] = "failed",
        [typeof(JobRetried)] = "retried",
        [typeof(JobRescheduled)] = "rescheduled",
        [typeof(JobCancelRequested)] = "cancel_requested",
        [typeof(JobCancelled)] = "cancelled",
        [typeof(JobRescued)] = "rescued",
        [typeof(JobReleased)] = "released",
        [typeof(WebhookReceived)] = "webhook_received",
        [typeof(WebhookIgnored)] = "webhook_ignored",
        [typeof(WebhookProcessed)] = "webhook_processed",
        [typeof(WebhookRetryScheduled)] = "webhook_retry_scheduled",
        [typeof(WebhookFailed)] = "webhook_failed",
        [typeof(WebhookReplayed)] = "webhook_replayed",
        [typeof(SubscriptionChanged)] = "subscription_changed",
        [typeof(CustomerLinked)] = "customer_linked",
        [typeof(CheckoutStarted)] = "checkout_started",
        [typeof(AccountDeleted)] = "account_deleted",
        [typeof(DuplicateSubscription)] = "duplicate_subscription",
        [typeof(PlatformAccountVerified)] = "platform_account_verified",
        [typeof(PlatformAccountTakenOver)] = "platform_account_taken_over",
    };

    public static void Configure(StoreOptions options, AutoCreate autoCreate = AutoCreate.None)
    {
        options.DatabaseSchemaName = Schema;
        options.AutoCreateSchemaObjects = autoCreate;
        options.Events.StreamIdentity = StreamIdentity.AsGuid;
        options.Events.AppendMode = EventAppendMode.Quick;
        foreach (var type in EventNames.Keys)
        {
            options.Events.AddEventType(type);
        }

        options.Events.AddEventType(typeof(JobActivity));

        options.Schema.For<AuditCheckpoint>().Identity(c => c.Id);
    }

    /// <summary>Creates or updates the audit schema (called by the migrations runner, under its lock).</summary>
    public static async Task ApplySchemaAsync(string connectionString, CancellationToken cancellationToken = default)
    {
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        using var store = DocumentStore.For(options =>
        {
            options.Connection(dataSource);
            Configure(options, AutoCreate.CreateOrUpdate);
        });
        await store.Storage.ApplyAllConfiguredChangesToDatabaseAsync();
    }
}
