using System.Diagnostics;
using Npgsql;
using Platform.Core.Data;
using Platform.Core.Jobs;

namespace Platform.Workers.Queue.Engine;

/// <summary>
/// Runs one claimed job to a <see cref="JobOutcome"/>: the cached result of identical work when its type caches
/// results, else its handler (<see cref="IJobHandler"/>, keyed by job type, in a DI scope of its own) under a span that
/// continues the enqueuing request's trace. The handler's token fires on cancel, timeout, shutdown and a lost lease.
/// Writes nothing of the job's state: that is <see cref="CompletionWriter"/>'s.
/// </summary>
internal sealed partial class JobExecutor(
    IServiceScopeFactory scopes,
    NpgsqlDataSource dataSource,
    JobResultCache resultCache,
    IRetryPolicy defaultRetryPolicy,
    QueueMetrics metrics,
    string workerId,
    ILogger logger)
{
    /// <summary>A handler's time limit when neither the job nor its type sets one.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromMinutes(5);

    public async Task<JobOutcome> RunAsync(RunningJob run)
    {
        var job = run.Job;
        JobTypes.TryGet(job.JobType, out var definition);
        var timeout = job.TimeoutSeconds is int seconds ? TimeSpan.FromSeconds(seconds) : definition?.Timeout ?? DefaultTimeout;
        var parent = ActivityContext.TryParse(job.TraceParent, job.TraceState, out var context) ? context : default;
        using var activity = QueueMetrics.ActivitySource.StartActivity($"job {job.JobType}", ActivityKind.Consumer, parent);
        activity?.SetTag("job.id", job.Id);
        activity?.SetTag("job.type", job.JobType);
        activity?.SetTag("job.attempt", job.Attempts);
        activity?.SetTag("job.queue", job.Queue);
        var tags = new TagList { { "job_type", job.JobType }, { "queue", job.Queue } };
        var stopwatch = Stopwatch.StartNew();
        run.StartTimeout(timeout);
        try
        {
            if (job.CancelRequested)
            {
                run.Stop(StopReason.CancelledByUser);
                run.Token.ThrowIfCancellationRequested();
            }

            if (definition?.CacheTtl is not null && job.CacheKey is not null
                && await resultCache.GetAsync(job.JobType, job.CacheKey) is { } cachedResult)
            {
                // Identical work already finished while this copy waited: its result, without running again.
                activity?.SetTag("job.cache_hit", true);
                return new JobOutcome.Completed(run, tags, cachedResult, definition.CacheTtl);
            }

            await using var scope = scopes.CreateAsyncScope();
            var handler = scope.ServiceProvider.GetKeyedService<IJobHandler>(job.JobType)
                ?? throw new PermanentJobFailureException($"No handler for job type '{job.JobType}' in this worker.");
            var result = await handler.HandleAsync(new JobContext(job, workerId, dataSource, scope.ServiceProvider), run.Token);
            metrics.Duration.Record(stopwatch.Elapsed.TotalMilliseconds, tags);
            return run.Reason == StopReason.LeaseLost
                ? new JobOutcome.LeaseLost(run, tags, "the handler finished after the lease was lost")
                : new JobOutcome.Completed(run, tags, PostgresText.CleanJson(result?.ToJsonString()) ?? "null", definition?.CacheTtl);
        }
        catch (JobRescheduleException reschedule)
        {
            return new JobOutcome.Rescheduled(run, tags, reschedule.RunAt, reschedule.Message);
        }
        catch (Exception error) when (run.Token.IsCancellationRequested && run.Reason != StopReason.None)
        {
            activity?.SetStatus(ActivityStatusCode.Error, run.Reason.ToString());
            return run.Reason switch
            {
                StopReason.Timeout => Failed(run, definition, tags, $"Timed out after {timeout.TotalSeconds:0.#} s"),
                StopReason.LeaseLost => new JobOutcome.LeaseLost(run, tags, error.Message),
                _ => new JobOutcome.Released(run, tags), // cancelled by its owner, or shutdown
            };
        }
        catch (PermanentJobFailureException failure)
        {
            activity?.SetStatus(ActivityStatusCode.Error, failure.Message);
            metrics.Failed.Add(1, tags);
            return new JobOutcome.FailedPermanently(run, tags, failure.Message);
        }
        catch (JobFailureException failure)
        {
            activity?.SetStatus(ActivityStatusCode.Error, failure.Message);
            return Failed(run, definition, tags, failure.Message);
        }
        catch (Exception error)
        {
            activity?.SetStatus(ActivityStatusCode.Error, error.Message);
            LogJobError(error, job.Id, job.JobType);
            return Failed(run, definition, tags, UnexpectedFailureMessage(activity));
        }
        finally
        {
            run.StopTimeout();
        }
    }

    /// <summary>The retry policy of a job type: its own when it sets one, else the process's.</summary>
    public static IRetryPolicy RetryPolicyFor(JobTypeDefinition? definition, IRetryPolicy processDefault) =>
        definition?.RetryPolicy ?? processDefault;

    /// <summary>What the job's owner sees for an exception that is not a <see cref="JobFailureException"/>.</summary>
    internal static string UnexpectedFailureMessage(Activity? activity) => activity is null
        ? "The job failed unexpectedly; it will be retried."
        : $"The job failed unexpectedly; it will be retried (trace {activity.TraceId}).";

    private JobOutcome Failed(RunningJob run, JobTypeDefinition? definition, TagList tags, string error)
    {
        metrics.Failed.Add(1, tags);
        var delay = RetryPolicyFor(definition, defaultRetryPolicy).NextRetryDelay(run.Job, definition);
        return new JobOutcome.Failed(run, tags, error, delay);
    }

    [LoggerMessage(LogLevel.Error, "Job {JobId} ({JobType}) threw; its owner sees a generic message")]
    private partial void LogJobError(Exception error, Guid jobId, string jobType);
}
