using System.Diagnostics;

namespace Platform.Workers.Queue.Engine;

/// <summary>
/// What running one job came to (<see cref="JobExecutor"/>), and so what <see cref="CompletionWriter"/> records for
/// it: each case maps to one queue function.
/// </summary>
internal abstract record JobOutcome(RunningJob Run)
{
    /// <summary>The job's metric tags (<c>job_type</c>, <c>queue</c>), built when a metric is recorded (a value, no allocation).</summary>
    public TagList Tags => Run.Tags;

    /// <summary>The handler returned <paramref name="ResultJson"/> (or identical work's cached result): <c>complete_jobs</c>, in batches.</summary>
    public sealed record Completed(RunningJob Run, string ResultJson, TimeSpan? CacheTtl) : JobOutcome(Run);

    /// <summary>The attempt failed: <c>fail_job</c>, which retries after <paramref name="RetryDelay"/> while attempts remain.</summary>
    public sealed record Failed(RunningJob Run, string Error, TimeSpan RetryDelay) : JobOutcome(Run);

    /// <summary>The job cannot succeed (bad input, no handler): <c>fail_job</c> with no retry.</summary>
    public sealed record FailedPermanently(RunningJob Run, string Error) : JobOutcome(Run);

    /// <summary>The handler asked to run again at <paramref name="RunAt"/>: <c>reschedule_job</c>, no attempt used.</summary>
    public sealed record Rescheduled(RunningJob Run, DateTimeOffset RunAt, string Reason) : JobOutcome(Run);

    /// <summary>Stopped by its owner's cancel request or by shutdown: <c>release_jobs</c> (cancelled, or pending again with the attempt not counted).</summary>
    public sealed record Released(RunningJob Run) : JobOutcome(Run);

    /// <summary>A rescue gave the job to another worker while it ran here: nothing is written (it would be refused).</summary>
    public sealed record LeaseLost(RunningJob Run, string Detail) : JobOutcome(Run);
}
