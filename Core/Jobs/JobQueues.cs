namespace Platform.Core.Jobs;

/// <summary>
/// Queue names (<c>job_queue.queue</c>). Each queue has its own claim loop and concurrency in the Workers
/// (<c>Workers:Queues</c>), so slow jobs on one never hold up another's.
/// </summary>
public static class JobQueues
{
    public const string Default = "default";

    /// <summary>Stripe webhook processing and reconciliation.</summary>
    public const string Webhooks = "webhooks";

    /// <summary>Content ingestion: slow third-party HTTP (YouTube, feeds, media hosts, the tagging model).</summary>
    public const string Ingestion = "ingestion";
}
