using System.Diagnostics;
using System.Text.Json.Nodes;
using Npgsql;
using Platform.Core.Data;
using Platform.Core.Jobs;

namespace Platform.Workers.Queue.Engine;

/// <summary>
/// Runs one claimed job to a <see cref="JobOutcome"/>: the cached result of identical work when its type caches
/// results, else its handler (<see cref="IJobHandler"/>, keyed by job type; in a DI scope of its own when it needs one)
/// under a span that continues the enqueuing request's trace. The handler's token fires on cancel, timeout, shutdown and a lost lease.
/// Writes nothing of the job's state: that is <see cref="CompletionWriter"/>'s.
/// </summary>
internal sealed partial class JobExecutor(
    IServiceScopeFactory scopes,
    IEnumerable<JobHandlerType> handlerTypes,
    NpgsqlDataSource dataSource,
    JobResultCache resultCache,
    IRetryPolicy defaultRetryPolicy,
    QueueMetrics metrics,
    string workerId,
    ILogger logger)
{
    /// <summary>A handler's time limit when neither the job nor its type sets one.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Per job type, how its handler is made, decided once: a class with only a parameterless constructor that holds
    /// nothing to dispose is created directly (a new instance per job, as a scoped service would be) and gets its DI
    /// scope only if it reads <see cref="JobContext.Services"/>; any other is resolved from a scope of its own.
    /// </summary>
    private readonly Dictionary<string, Func<IJobHandler>?> directHandlers = handlerTypes
        .GroupBy(h => h.JobType, StringComparer.Ordinal)
        .ToDictionary(g => g.Key, g => DirectFactory(g.Last().HandlerType), StringComparer.Ordinal);

    public async Task<JobOutcome> RunAsync(RunningJob run)
    {
        var job = run.Job;
        JobTypes.TryGet(job.JobType, out var definition);
        var timeout = job.TimeoutSeconds is int seconds ? TimeSpan.FromSeconds(seconds) : definition?.Timeout ?? DefaultTimeout;
        using var activity = StartActivity(job);
        var started = Stopwatch.GetTimestamp();
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
                return new JobOutcome.Completed(run, cachedResult, definition.CacheTtl);
            }

            JsonNode? result;
            if (directHandlers.TryGetValue(job.JobType, out var create) && create is not null)
            {
                var context = new JobContext(job, workerId, dataSource, scopes);
                try
                {
                    result = await create().HandleAsync(context, run.Token);
                }
                finally
                {
                    await context.DisposeScopeAsync();
                }
            }
            else
            {
                result = await HandleInScopeAsync(job, run.Token);
            }

            metrics.Duration.Record(Stopwatch.GetElapsedTime(started).TotalMilliseconds, run.Tags);
            return run.Reason == StopReason.LeaseLost
                ? new JobOutcome.LeaseLost(run, "the handler finished after the lease was lost")
                : new JobOutcome.Completed(run, PostgresText.CleanJson(result?.ToJsonString()) ?? "null", definition?.CacheTtl);
        }
        catch (JobRescheduleException reschedule)
        {
            return new JobOutcome.Rescheduled(run, reschedule.RunAt, reschedule.Message);
        }
        catch (Exception error) when (run.Token.IsCancellationRequested && run.Reason != StopReason.None)
        {
            activity?.SetStatus(ActivityStatusCode.Error, run.Reason.ToString());
            return run.Reason switch
            {
                StopReason.Timeout => Failed(run, definition, $"Timed out after {timeout.TotalSeconds:0.#} s"),
                StopReason.LeaseLost => new JobOutcome.LeaseLost(run, error.Message),
                _ => new JobOutcome.Released(run), // cancelled by its owner, or shutdown
            };
        }
        catch (PermanentJobFailureException failure)
        {
            activity?.SetStatus(ActivityStatusCode.Error, failure.Message);
            metrics.Failed.Add(1, run.Tags);
            return new JobOutcome.FailedPermanently(run, failure.Message);
        }
        catch (JobFailureException failure)
        {
            activity?.SetStatus(ActivityStatusCode.Error, failure.Message);
            return Failed(run, definition, failure.Message);
        }
        catch (Exception error)
        {
            activity?.SetStatus(ActivityStatusCode.Error, error.Message);
            LogJobError(error, job.Id, job.JobType);
            return Failed(run, definition, UnexpectedFailureMessage(activity));
        }
        finally
        {
            run.StopTimeout();
        }
    }

    /// <summary>
    /// The job's span, continuing the enqueuing request's trace, with its tags; none (and nothing allocated for its
    /// name) while no one listens to <see cref="QueueMetrics.ActivitySource"/>.
    /// </summary>
    private static Activity? StartActivity(JobRecord job)
    {
        if (!QueueMetrics.ActivitySource.HasListeners())
        {
            return null;
        }

        var parent = ActivityContext.TryParse(job.TraceParent, job.TraceState, out var context) ? context : default;
        var activity = QueueMetrics.ActivitySource.StartActivity($"job {job.JobType}", ActivityKind.Consumer, parent);
        activity?.SetTag("job.id", job.Id);
        activity?.SetTag("job.type", job.JobType);
        activity?.SetTag("job.attempt", job.Attempts);
        activity?.SetTag("job.queue", job.Queue);
        return activity;
    }

    /// <summary>Runs the job's handler resolved (keyed by job type) from a DI scope of its own.</summary>
    private async Task<JsonNode?> HandleInScopeAsync(JobRecord job, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var handler = scope.ServiceProvider.GetKeyedService<IJobHandler>(job.JobType)
            ?? throw new PermanentJobFailureException($"No handler for job type '{job.JobType}' in this worker.");
        return await handler.HandleAsync(new JobContext(job, workerId, dataSource, scope.ServiceProvider), cancellationToken);
    }

    /// <summary>A factory for <paramref name="handlerType"/> when it needs nothing from DI and nothing disposed; else null.</summary>
    internal static Func<IJobHandler>? DirectFactory(Type handlerType)
    {
        var constructors = handlerType.GetConstructors();
        if (constructors.Length != 1 || constructors[0].GetParameters().Length != 0
            || typeof(IDisposable).IsAssignableFrom(handlerType) || typeof(IAsyncDisposable).IsAssignableFrom(handlerType))
        {
            return null;
        }

        return () => (IJobHandler)Activator.CreateInstance(handlerType)!;
    }

    /// <summary>The retry policy of a job type: its own when it sets one, else the process's.</summary>
    public static IRetryPolicy RetryPolicyFor(JobTypeDefinition? definition, IRetryPolicy processDefault) =>
        definition?.RetryPolicy ?? processDefault;

    /// <summary>What the job's owner sees for an exception that is not a <see cref="JobFailureException"/>.</summary>
    internal static string UnexpectedFailureMessage(Activity? activity) => activity is null
        ? "The job failed unexpectedly; it will be retried."
        : $"The job failed unexpectedly; it will be retried (trace {activity.TraceId}).";

    private JobOutcome Failed(RunningJob run, JobTypeDefinition? definition, string error)
    {
        metrics.Failed.Add(1, run.Tags);
        var delay = RetryPolicyFor(definition, defaultRetryPolicy).NextRetryDelay(run.Job, definition);
        return new JobOutcome.Failed(run, error, delay);
    }

    [LoggerMessage(LogLevel.Error, "Job {JobId} ({JobType}) threw; its owner sees a generic message")]
    private partial void LogJobError(Exception error, Guid jobId, string jobType);
}
