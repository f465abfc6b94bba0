using System.Diagnostics;

namespace Platform.Workers.Queue.Engine;

/// <summary>
/// What running one job came to (<see cref="JobExecutor"/>), and so what <see cref="CompletionWriter"/> records for
/// it: each case maps to one queue function. <see cref="Tags"/> are the job's metric tags (type and queue).
/// </summary>
internal abstract record JobOutcome(RunningJob Run, TagList Tags)
{
    /// <summary>The handler returned <paramref name="ResultJson"/> (or identical work's cached result): <c>complete_jobs</c>, in batches.</summary>
    public sealed record Completed(RunningJob Run, TagList Tags, string ResultJson, TimeSpan? CacheTtl) : JobOutcome(Run, Tags);

    /// <summary>The attempt failed: <c>fail_job</c>, which retries after <paramref name="RetryDelay"/> while attempts remain.</summary>
    public sealed record Failed(RunningJob Run, TagList Tags, string Error, TimeSpan RetryDelay) : JobOutcome(Run, Tags);

    /// <summary>The job cannot succeed (bad input, no handler): <c>fail_job</c> with no retry.</summary>
    public sealed record FailedPermanently(RunningJob Run, TagList Tags, string Error) : JobOutcome(Run, Tags);

    /// <summary>The handler asked to run again at <paramref name="RunAt"/>: <c>reschedule_job</c>, no attempt used.</summary>
    public sealed record Rescheduled(RunningJob Run, TagList Tags, DateTimeOffset RunAt, string Reason) : JobOutcome(Run, Tags);

    /// <summary>Stopped by its owner's cancel request or by shutdown: <c>release_jobs</c> (cancelled, or pending again with the attempt not counted).</summary>
    public sealed record Released(RunningJob Run, TagList Tags) : JobOutcome(Run, Tags);

    /// <summary>A rescue gave the job to another worker while it ran here: nothing is written (it would be refused).</summary>
    public sealed record LeaseLost(RunningJob Run, TagList Tags, string Detail) : JobOutcome(Run, Tags);
}
