using System.Collections.Concurrent;
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

    /// <summary>The handler class <see cref="JobHandlerRegistration.AddJobHandler{THandler}"/> registered per job type (the last one wins, as in DI).</summary>
    private readonly Dictionary<string, Type> registeredHandlers = handlerTypes
        .GroupBy(h => h.JobType, StringComparer.Ordinal)
        .ToDictionary(g => g.Key, g => g.Last().HandlerType, StringComparer.Ordinal);

    /// <summary>
    /// Per job type, decided on its first job: a factory when its handler is made directly (see
    /// <see cref="DirectHandlerAsync"/>), null when it is resolved from a DI scope per job.
    /// </summary>
    private readonly ConcurrentDictionary<string, Func<IJobHandler>?> directHandlers = new(StringComparer.Ordinal);

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
            var create = directHandlers.TryGetValue(job.JobType, out var known) ? known : await DirectHandlerAsync(job.JobType);
            if (create is not null)
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

    /// <summary>
    /// Decides once per job type how its handler is made: directly (a new instance per job, its DI scope created only if it
    /// reads <see cref="JobContext.Services"/>) when the class registered for it needs nothing from DI and nothing
    /// disposed (<see cref="DirectFactory"/>) and DI still resolves that very class for the type (a later keyed
    /// registration replaces it, as tests and hosts do); else from a DI scope per job.
    /// </summary>
    private async Task<Func<IJobHandler>?> DirectHandlerAsync(string jobType)
    {
        Func<IJobHandler>? create = null;
        if (registeredHandlers.TryGetValue(jobType, out var type) && DirectFactory(type) is { } factory)
        {
            await using var scope = scopes.CreateAsyncScope();
            if (scope.ServiceProvider.GetKeyedService<IJobHandler>(jobType)?.GetType() == type)
            {
                create = factory;
            }
        }

        return directHandlers.GetOrAdd(jobType, create);
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
