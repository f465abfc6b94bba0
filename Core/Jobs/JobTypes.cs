using System.Text.Json;

namespace Platform.Core.Jobs;

/// <summary>The catalog of job types: one place, read by the Api (validation, access) and the Workers (policies).</summary>
public static class JobTypes
{
    /// <summary>Diagnostic: the payload comes back as the result; optional <c>delay_ms</c>, <c>fail_times</c>, <c>progress_steps</c>.</summary>
    public const string Echo = "echo";

    public static readonly JobTypeDefinition EchoDefinition = new()
    {
        Name = Echo,
        MaxAttempts = 3,
        Timeout = TimeSpan.FromMinutes(2),
        Access = JobAccess.AdminOrDevelopment,
        RetryBase = TimeSpan.FromMilliseconds(200),
        Validate = ValidateEcho,
    };

    /// <summary>Diagnostic: <c>echo</c> whose result is cached for 10 minutes per identical payload.</summary>
    public const string EchoCached = "echo_cached";

    public static readonly JobTypeDefinition EchoCachedDefinition = EchoDefinition with { Name = EchoCached, CacheTtl = TimeSpan.FromMinutes(10) };

    /// <summary>Applies one stored Stripe event (<c>stripe_webhook_events</c>) to the subscription; enqueued by <c>record_stripe_webhooks</c>.</summary>
    public const string StripeWebhook = "stripe_webhook";

    public static readonly JobTypeDefinition StripeWebhookDefinition = new()
    {
        Name = StripeWebhook,
        Queue = "webhooks",
        MaxAttempts = 4, // 1 try + 3 retries (record_stripe_webhooks and stripe_webhook_events.max_attempts agree)
        Timeout = TimeSpan.FromMinutes(1),
        Access = JobAccess.System,
        RetryBase = TimeSpan.FromSeconds(2), // about 1-2 s, 2-4 s, 4-8 s; later healing is replay or reconciliation
    };

    /// <summary>Lists Stripe's events since the last one seen and records any that never arrived as webhooks.</summary>
    public const string StripeReconcile = "stripe_reconcile";

    public static readonly JobTypeDefinition StripeReconcileDefinition = new()
    {
        Name = StripeReconcile,
        Queue = "webhooks",
        MaxAttempts = 3,
        Timeout = TimeSpan.FromMinutes(10),
        Access = JobAccess.System,
        RetryBase = TimeSpan.FromSeconds(30),
    };
    /// <summary>Content ingestion (policies in <see cref="IngestionJobTypes"/>): import a YouTube channel's uploads.</summary>
    public const string SyncYouTube = "sync_youtube";

    /// <summary>Content ingestion: import an RSS 2.0 / Atom feed (conditional GET).</summary>
    public const string SyncFeed = "sync_feed";

    /// <summary>Content ingestion: AI tags for new or changed content items.</summary>
    public const string TagContent = "tag_content";

    /// <summary>Content ingestion: check media URLs (liveness, content type, dimensions).</summary>
    public const string RefreshMedia = "refresh_media";

    private static readonly Dictionary<string, JobTypeDefinition> Definitions = new(StringComparer.Ordinal)
    {
        [Echo] = EchoDefinition,
        [EchoCached] = EchoCachedDefinition,
        [StripeWebhook] = StripeWebhookDefinition,
        [StripeReconcile] = StripeReconcileDefinition,
        [SyncYouTube] = IngestionJobTypes.SyncYouTubeDefinition,
        [SyncFeed] = IngestionJobTypes.SyncFeedDefinition,
        [TagContent] = IngestionJobTypes.TagContentDefinition,
        [RefreshMedia] = IngestionJobTypes.RefreshMediaDefinition,
    };

    public static IReadOnlyCollection<JobTypeDefinition> All => Definitions.Values;

    public static bool TryGet(string name, out JobTypeDefinition definition) => Definitions.TryGetValue(name, out definition!);

    private static IReadOnlyDictionary<string, string> ValidateEcho(JsonElement payload)
    {
        var errors = new Dictionary<string, string>();
        if (payload.ValueKind != JsonValueKind.Object)
        {
            errors["payload"] = "must be a JSON object";
            return errors;
        }

        CheckInt(payload, "delay_ms", 0, 600_000, errors);
        CheckInt(payload, "fail_times", 0, 100, errors);
        CheckInt(payload, "progress_steps", 0, 100, errors);
        return errors;
    }

    private static void CheckInt(JsonElement payload, string name, int min, int max, Dictionary<string, string> errors)
    {
        if (!payload.TryGetProperty(name, out var value))
        {
            return;
        }

        if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt32(out var number) || number < min || number > max)
        {
            errors[$"payload.{name}"] = $"must be an integer from {min} to {max}";
        }
    }
}
