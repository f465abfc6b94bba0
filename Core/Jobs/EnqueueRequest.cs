using System.Text.Json;

namespace Platform.Core.Jobs;

/// <summary>
/// How to enqueue: options left null take the job type's defaults (<see cref="JobTypeDefinition"/>), as River's
/// insert-time options override its args' <c>InsertOpts()</c>.
/// </summary>
public record EnqueueOptions
{
    /// <summary>The owner (null for system jobs).</summary>
    public Guid? UserId { get; init; }

    public string? Queue { get; init; }

    /// <summary>Higher runs first (-32768..32767; the Api allows -100..100).</summary>
    public int Priority { get; init; }

    /// <summary>Not claimable before this instant; null: now.</summary>
    public DateTimeOffset? RunAt { get; init; }

    /// <summary>A second enqueue with the same key (same user and type) returns the first job. Not for <see cref="JobQueueClient.EnqueueManyAsync"/>.</summary>
    public string? IdempotencyKey { get; init; }

    public int? MaxAttempts { get; init; }

    /// <summary>W3C trace context of the enqueuer, so the worker's span continues the same trace; null: the current activity's.</summary>
    public string? TraceParent { get; init; }

    public string? TraceState { get; init; }
}

/// <summary>An untyped enqueue: a job type's wire name and a payload as JSON (the Api's <c>POST /api/jobs</c>, tests).</summary>
public sealed record EnqueueRequest(string JobType, JsonElement Payload) : EnqueueOptions;

/// <summary>The outcome of an enqueue: the job's id and status, and whether this call created it.</summary>
/// <param name="Created">false when an earlier job with the same idempotency key was returned.</param>
/// <param name="FromCache">true when the job was born completed with a cached result (no work will run).</param>
public sealed record EnqueueResult(Guid JobId, string Status, bool Created, bool FromCache);
