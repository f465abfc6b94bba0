namespace Platform.Core.Jobs;

/// <summary>Who may enqueue a job type through the API.</summary>
public enum JobAccess
{
    /// <summary>Any signed-in user.</summary>
    User,
    /// <summary>Admins, and anyone in the Development environment (diagnostic types such as <c>echo</c>).</summary>
    AdminOrDevelopment,
    /// <summary>Only the platform itself (schedules, webhooks); never through the API.</summary>
    System,
}

/// <summary>
/// A job type's policies, declared by its args record (<see cref="IJobArgs{TSelf}.Definition"/>) and shared by the Api
/// (access, enqueue defaults) and the Workers (retry policy, timeout, cache policy; the handler lives in Workers).
/// The payload's shape is the args record itself (<see cref="JobPayload"/>).
/// </summary>
public sealed record JobTypeDefinition
{
    /// <summary>The wire name (<c>job_queue.job_type</c>, <c>POST /api/jobs</c>'s <c>type</c>).</summary>
    public required string Name { get; init; }

    public string Queue { get; init; } = JobQueues.Default;

    /// <summary>Attempts in all (the first try included) before the job is <c>failed</c>.</summary>
    public int MaxAttempts { get; init; } = 3;

    /// <summary>The handler's CancellationToken fires after this long; the attempt then fails (and may retry).</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>When set, an identical payload within this long returns the cached result instead of running again.</summary>
    public TimeSpan? CacheTtl { get; init; }

    public JobAccess Access { get; init; } = JobAccess.User;

    /// <summary>Base of the exponential backoff: attempt n waits about base × 2^(n-1), with jitter, capped at an hour.</summary>
    public TimeSpan RetryBase { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>This type's retry delays; null: the Workers' registered <see cref="IRetryPolicy"/> (exponential backoff on <see cref="RetryBase"/>).</summary>
    public IRetryPolicy? RetryPolicy { get; init; }
}
