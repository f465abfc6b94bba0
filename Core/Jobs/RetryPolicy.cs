namespace Platform.Core.Jobs;

/// <summary>
/// Decides how long a failed job waits before its next attempt (while attempts remain; <c>fail_job</c> turns the last
/// failure into <c>failed</c> whatever the delay). The Workers use <see cref="JobTypeDefinition.RetryPolicy"/> when a
/// job type sets one, else the process's registered policy (<see cref="ExponentialBackoffRetryPolicy"/> unless the
/// host registers another <see cref="IRetryPolicy"/>).
/// </summary>
public interface IRetryPolicy
{
    /// <summary>
    /// The delay before the next attempt of <paramref name="job"/>, whose attempt <see cref="JobRecord.Attempts"/>
    /// (1 for the first try) just failed; <paramref name="jobType"/> is its definition, null for an unknown type.
    /// </summary>
    TimeSpan NextRetryDelay(JobRecord job, JobTypeDefinition? jobType);
}

/// <summary>
/// Exponential backoff with jitter: attempt n waits <see cref="JobTypeDefinition.RetryBase"/> × 2^(n-1), capped at
/// <see cref="MaxDelay"/>, times a random factor in [0.5, 1) so retries of jobs that failed together spread out
/// ("equal jitter", as in AWS's "Exponential Backoff And Jitter").
/// </summary>
public sealed class ExponentialBackoffRetryPolicy(Func<double>? random = null) : IRetryPolicy
{
    /// <summary>The longest delay before the jitter is applied.</summary>
    public static readonly TimeSpan MaxDelay = TimeSpan.FromHours(1);

    /// <summary>The retry base of a job whose type is unknown.</summary>
    public static readonly TimeSpan DefaultRetryBase = TimeSpan.FromSeconds(1);

    /// <summary>A uniform number in [0, 1); <see cref="Random.Shared"/> unless a test fixes it.</summary>
    private readonly Func<double> random = random ?? Random.Shared.NextDouble;

    public TimeSpan NextRetryDelay(JobRecord job, JobTypeDefinition? jobType)
    {
        var retryBase = (jobType?.RetryBase ?? DefaultRetryBase).TotalSeconds;
        var exponential = retryBase * Math.Pow(2, Math.Max(0, job.Attempts - 1));
        var capped = Math.Min(MaxDelay.TotalSeconds, exponential);
        return TimeSpan.FromSeconds(capped * (0.5 + (random() / 2)));
    }
}
