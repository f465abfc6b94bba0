using System.Text.Json;

namespace Platform.Core.Jobs;

/// <summary>What to enqueue. Options left null take the job type's defaults.</summary>
public sealed record EnqueueRequest(string JobType, JsonElement Payload)
{
    /// <summary>The owner (null for system jobs).</summary>
    public Guid? UserId { get; init; }

    public string? Queue { get; init; }

    public int Priority { get; init; }

    public DateTimeOffset? RunAt { get; init; }

    /// <summary>A second enqueue with the same key (same user and type) returns the first job.</summary>
    public string? IdempotencyKey { get; init; }

    public int? MaxAttempts { get; init; }

    /// <summary>W3C trace context of the enqueuer, so the worker's span continues the same trace.</summary>
    public string? TraceParent { get; init; }

    public string? TraceState { get; init; }
}

/// <summary>The outcome of an enqueue: the job's id and status, and whether this call created it.</summary>
/// <param name="Created">false when an earlier job with the same idempotency key was returned.</param>
/// <param name="FromCache">true when the job was born completed with a cached result (no work will run).</param>
public sealed record EnqueueResult(Guid JobId, string Status, bool Created, bool FromCache);
