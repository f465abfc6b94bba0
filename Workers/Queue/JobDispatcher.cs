using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;
using Platform.Core.Data;
using Platform.Core.Jobs;

namespace Platform.Workers.Queue;

/// <summary>
/// The queue engine of one Workers process: claims batches with <c>claim_jobs</c> (FOR UPDATE SKIP LOCKED, a lease
/// per job), runs each job's handler with bounded concurrency per queue, heartbeats the leases, completes in batches,
/// retries with exponential backoff and jitter, honours cancellation within a second (LISTEN), and on shutdown lets
/// in-flight jobs finish for a grace period before releasing the rest. Several processes share the work safely.
/// </summary>
public sealed partial class JobDispatcher : BackgroundService
{
    private const string WakeupChannel = "job_queue_wakeup";
    private const string ProgressChannel = "job_progress";

    /// <summary>Longest error or reschedule reason written (characters; cut at a text-element boundary).</summary>
    private const int MaxErrorLength = 4000;

    private readonly NpgsqlDataSource dataSource;
    private readonly IServiceScopeFactory scopes;
    private readonly WorkerOptions options;
    private readonly QueueMetrics metrics;
    private readonly JobResultCache resultCache;
    private readonly ILogger<JobDispatcher> logger;
    private readonly ConcurrentDictionary<Guid, RunningJob> running = new();
    private readonly Dictionary<string, QueueState> queues;
    private readonly Channel<Completion> completions = Channel.CreateUnbounded<Completion>();

    /// <summary>
    /// Finished here, not yet written: still <c>processing</c> in the database. Claims wait while this is above
    /// what the writers take in one round, so claiming never outruns completing (the set of processing rows, and
    /// with it every statement that reads it, stays small).
    /// </summary>
    private int unwritten;

    /// <summary>What the completion writers take in one round: claims wait while <see cref="unwritten"/> reaches it.</summary>
    private int UnwrittenLimit => options.CompletionBatchSize * Math.Max(1, options.CompletionWriters);
    private readonly CancellationTokenSource hardStop = new();
    private readonly SchemaReadiness schema;

    public JobDispatcher(
        NpgsqlDataSource dataSource,
        IServiceScopeFactory scopes,
        IOptions<WorkerOptions> options,
        QueueMetrics metrics,
        JobResultCache resultCache,
        SchemaReadiness schema,
        ILogger<JobDispatcher> logger)
    {
        this.schema = schema;
        this.resultCache = resultCache;
        this.dataSource = dataSource;
        this.scopes = scopes;
        this.options = options.Value;
        this.metrics = metrics;
        this.logger = logger;
        WorkerId = this.options.WorkerId ?? $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid().ToString("N")[..6]}";
        queues = this.options.Queues.Where(q => q.Value > 0)
            .ToDictionary(q => q.Key, q => new QueueState(q.Key, q.Value, this.options.Prefetch ?? q.Value));
    }

    public string WorkerId { get; }

    /// <summary>Jobs claimed by this process and not finished (buffered or running).</summary>
    public int InFlight => running.Count;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Nothing is claimed until the database holds the schema this build was made with.
        await schema.WaitUntilReadyAsync(stoppingToken);
        LogStarting(WorkerId, string.Join(", ", queues.Values.Select(q => $"{q.Name}×{q.Concurrency}")));
        using var background = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        var listener = ListenAsync(background.Token);
        var heartbeat = HeartbeatLoopAsync(background.Token);
        // Completion writers (one by default): while one writes a batch, the next batch gathers.
        var flusher = Task.WhenAll(Enumerable.Range(0, Math.Max(1, options.CompletionWriters)).Select(_ => FlushCompletionsAsync()));

        var executors = queues.Values
            .SelectMany(q => Enumerable.Range(0, q.Concurrency).Select(_ => Task.Run(() => RunExecutorAsync(q), CancellationToken.None)))
            .ToList();
        await Task.WhenAll(queues.Values.Select(q => ClaimLoopAsync(q, stoppingToken)));

        // Claimed but not started: back to pending at once, without waiting for anything.
        var unstarted = new List<Guid>();
        foreach (var queue in queues.Values)
        {
            queue.Buffer.Writer.TryComplete();
            while (queue.Buffer.Reader.TryRead(out var job))
            {
                running.TryRemove(job.Id, out var entry);
                entry?.Dispose();
                Interlocked.Decrement(ref queue.Outstanding);
                unstarted.Add(job.Id);
            }
        }

        if (unstarted.Count > 0)
        {
            await ReleaseAsync(unstarted.ToArray());
        }

        // Graceful shutdown: no new claims; in-flight jobs get the grace period, then their tokens fire and what is
        // still running is released back to pending (the interrupted attempt does not count).
        var deadline = Stopwatch.StartNew();
        while (!running.IsEmpty && deadline.Elapsed < options.ShutdownGrace)
        {
            await Task.Delay(50, CancellationToken.None);
        }

        if (!running.IsEmpty)
        {
            LogReleasing(running.Count);
            foreach (var job in running.Values)
            {
                job.Stop(StopReason.Shutdown);
            }

            var wait = Stopwatch.StartNew();
            while (!running.IsEmpty && wait.Elapsed < TimeSpan.FromSeconds(5))
            {
                await Task.Delay(20, CancellationToken.None);
            }
        }

        await Task.WhenAll(executors);
        completions.Writer.TryComplete();
        await flusher;
        if (!running.IsEmpty)
        {
            await ReleaseAsync(running.Keys.ToArray());
        }

        await background.CancelAsync();
        await Task.WhenAll(listener, heartbeat).ContinueWith(_ => { }, TaskScheduler.Default);
        LogStopped(WorkerId);
    }

    /// <summary>
    /// Keeps the queue's local buffer filled: claims in batches (at least half a prefetch at a time, so claims stay
    /// big under load), or anything at all when idle (so latency stays low).
    /// </summary>
    private async Task ClaimLoopAsync(QueueState queue, CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var outstanding = Volatile.Read(ref queue.Outstanding);
                var free = queue.Concurrency + queue.Prefetch - outstanding;
                if (free <= 0 || (outstanding > 0 && free < Math.Max(1, queue.Prefetch / 2))
                    || Volatile.Read(ref unwritten) >= UnwrittenLimit)
                {
                    await queue.WaitAsync(options.PollInterval, stoppingToken);
                    continue;
                }

                var wanted = Math.Min(free, options.ClaimBatchSize);
                var jobs = await ClaimAsync(queue.Name, wanted, stoppingToken);
                foreach (var job in jobs)
                {
                    Interlocked.Increment(ref queue.Outstanding);
                    running[job.Id] = new RunningJob(job, hardStop.Token);
                    queue.Buffer.Writer.TryWrite(job);
                }

                if (jobs.Count < wanted)
                {
                    await queue.WaitAsync(options.PollInterval, stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception error) when (error is NpgsqlException or TimeoutException)
            {
                LogClaimFailed(error, queue.Name);
                await Delay(options.PollInterval, stoppingToken);
            }
        }
    }

    /// <summary>One of the queue's <c>concurrency</c> executors: runs buffered jobs one after another.</summary>
    private async Task RunExecutorAsync(QueueState queue)
    {
        await foreach (var job in queue.Buffer.Reader.ReadAllAsync(CancellationToken.None))
        {
            await ExecuteAsync(job, queue);
        }
    }

    private async Task<List<JobRecord>> ClaimAsync(string queue, int limit, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            $"SELECT {JobRecord.Columns} FROM claim_jobs(@queue, @worker, @limit, @lease)");
        command.Parameters.AddWithValue("queue", queue);
        command.Parameters.AddWithValue("worker", WorkerId);
        command.Parameters.AddWithValue("limit", limit);
        command.Parameters.AddWithValue("lease", (int)Math.Ceiling(options.LeaseDuration.TotalSeconds));
        var jobs = new List<JobRecord>(limit);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            jobs.Add(JobRecord.Read(reader));
        }

        if (jobs.Count > 0)
        {
            var now = DateTimeOffset.UtcNow;
            metrics.Claimed.Add(jobs.Count, new KeyValuePair<string, object?>("queue", queue));
            foreach (var job in jobs)
            {
                metrics.ClaimLatency.Record(Math.Max(0, (now - job.RunAt).TotalMilliseconds), new KeyValuePair<string, object?>("queue", queue));
            }
        }

        return jobs;
    }

    private async Task ExecuteAsync(JobRecord job, QueueState queue)
    {
        JobTypes.TryGet(job.JobType, out var definition);
        var timeout = job.TimeoutSeconds is int seconds ? TimeSpan.FromSeconds(seconds) : definition?.Timeout ?? TimeSpan.FromMinutes(5);
        if (!running.TryGetValue(job.Id, out var registered))
        {
            Interlocked.Decrement(ref queue.Outstanding); // released while buffered
            return;
        }

        using var run = registered;
        run.StartTimeout(timeout);
        var parent = ActivityContext.TryParse(job.TraceParent, job.TraceState, out var context) ? context : default;
        using var activity = QueueMetrics.ActivitySource.StartActivity($"job {job.JobType}", ActivityKind.Consumer, parent);
        activity?.SetTag("job.id", job.Id);
        activity?.SetTag("job.type", job.JobType);
        activity?.SetTag("job.attempt", job.Attempts);
        activity?.SetTag("job.queue", job.Queue);
        var tags = new TagList { { "job_type", job.JobType }, { "queue", job.Queue } };
        var stopwatch = Stopwatch.StartNew();
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
                HandOff(new Completion(job, cachedResult, definition.CacheTtl, tags));
                return;
            }

            await using var scope = scopes.CreateAsyncScope();
            var handler = scope.ServiceProvider.GetKeyedService<IJobHandler>(job.JobType)
                ?? throw new PermanentJobFailureException($"No handler for job type '{job.JobType}' in this worker.");
            var result = await handler.HandleAsync(new JobContext(job, WorkerId, dataSource, scope.ServiceProvider), run.Token);
            metrics.Duration.Record(stopwatch.Elapsed.TotalMilliseconds, tags);
            if (run.Reason == StopReason.LeaseLost)
            {
                return; // another worker owns it now; completing would be refused anyway
            }

            HandOff(new Completion(job, PostgresText.CleanJson(result?.ToJsonString()) ?? "null", definition?.CacheTtl, tags));
        }
        catch (JobRescheduleException reschedule)
        {
            await RescheduleAsync(job, reschedule);
        }
        catch (Exception error) when (run.Token.IsCancellationRequested && run.Reason != StopReason.None)
        {
            activity?.SetStatus(ActivityStatusCode.Error, run.Reason.ToString());
            switch (run.Reason)
            {
                case StopReason.CancelledByUser:
                case StopReason.Shutdown:
                    // release_jobs turns a cancel-requested job into cancelled, any other back into pending.
                    await ReleaseAsync([job.Id]);
                    break;
                case StopReason.Timeout:
                    await FailAsync(job, definition, $"Timed out after {timeout.TotalSeconds:0.#} s", permanent: false, tags);
                    break;
                case StopReason.LeaseLost:
                    LogLeaseLost(job.Id, error.Message);
                    break;
            }
        }
        catch (PermanentJobFailureException failure)
        {
            activity?.SetStatus(ActivityStatusCode.Error, failure.Message);
            await FailAsync(job, definition, failure.Message, permanent: true, tags);
        }
        catch (JobFailureException failure)
        {
            activity?.SetStatus(ActivityStatusCode.Error, failure.Message);
            await FailAsync(job, definition, failure.Message, permanent: false, tags);
        }
        catch (Exception error)
        {
            activity?.SetStatus(ActivityStatusCode.Error, error.Message);
            LogJobError(error, job.Id, job.JobType);
            await FailAsync(job, definition, UnexpectedFailureMessage(activity), permanent: false, tags);
        }
        finally
        {
            running.TryRemove(job.Id, out _);
            Interlocked.Decrement(ref queue.Outstanding);
            queue.Signal();
        }
    }

    /// <summary>What the job's owner sees for an exception that is not a <see cref="JobFailureException"/>.</summary>
    internal static string UnexpectedFailureMessage(Activity? activity) => activity is null
        ? "The job failed unexpectedly; it will be retried."
        : $"The job failed unexpectedly; it will be retried (trace {activity.TraceId}).";

    private void HandOff(Completion completion)
    {
        Interlocked.Increment(ref unwritten);
        completions.Writer.TryWrite(completion);
    }

    private async Task FailAsync(JobRecord job, JobTypeDefinition? definition, string error, bool permanent, TagList tags)
    {
        metrics.Failed.Add(1, tags);
        var retryBase = definition?.RetryBase ?? TimeSpan.FromSeconds(1);
        var exponential = retryBase.TotalSeconds * Math.Pow(2, Math.Max(0, job.Attempts - 1));
        var delay = Math.Min(3600, exponential) * (0.5 + (Random.Shared.NextDouble() / 2));
        try
        {
            await using var command = dataSource.CreateCommand("SELECT fail_job(@id, @worker, @error, @delay, @permanent)");
            command.Parameters.AddWithValue("id", job.Id);
            command.Parameters.AddWithValue("worker", WorkerId);
            command.Parameters.AddWithValue("error", PostgresText.Truncate(error, MaxErrorLength)!); // remote text, as thrown
            command.Parameters.AddWithValue("delay", delay);
            command.Parameters.AddWithValue("permanent", permanent);
            var status = await command.ExecuteScalarAsync(CancellationToken.None) as string;
            if (status == JobStatus.Pending)
            {
                metrics.Retried.Add(1, tags);
            }

            LogJobFailed(job.Id, job.JobType, job.Attempts, status ?? "(not ours any more)", error);
        }
        catch (Exception failure) when (failure is NpgsqlException or TimeoutException)
        {
            // The lease will expire and the job will be rescued: nothing is lost.
            LogStateWriteFailed(failure, job.Id);
        }
    }

    private async Task RescheduleAsync(JobRecord job, JobRescheduleException reschedule)
    {
        try
        {
            await using var command = dataSource.CreateCommand("SELECT reschedule_job(@id, @worker, @run_at, @reason)");
            command.Parameters.AddWithValue("id", job.Id);
            command.Parameters.AddWithValue("worker", WorkerId);
            command.Parameters.AddWithValue("run_at", reschedule.RunAt);
            command.Parameters.AddWithValue("reason", PostgresText.Truncate(reschedule.Message, MaxErrorLength)!);
            await command.ExecuteScalarAsync(CancellationToken.None);
        }
        catch (Exception failure) when (failure is NpgsqlException or TimeoutException)
        {
            LogStateWriteFailed(failure, job.Id);
        }
    }

    private async Task ReleaseAsync(Guid[] jobIds)
    {
        try
        {
            await using var command = dataSource.CreateCommand("SELECT release_jobs(@worker, @ids)");
            command.Parameters.AddWithValue("worker", WorkerId);
            command.Parameters.AddWithValue("ids", jobIds);
            await command.ExecuteScalarAsync(CancellationToken.None);
        }
        catch (Exception failure) when (failure is NpgsqlException or TimeoutException)
        {
            LogStateWriteFailed(failure, jobIds.FirstOrDefault());
        }
    }

    /// <summary>Writes completions in batches: whatever finished while the previous batch was being written.</summary>
    private async Task FlushCompletionsAsync()
    {
        var reader = completions.Reader;
        var batch = new List<Completion>(options.CompletionBatchSize);
        while (await reader.WaitToReadAsync(CancellationToken.None))
        {
            while (batch.Count < options.CompletionBatchSize && reader.TryRead(out var completion))
            {
                batch.Add(completion);
            }

            foreach (var group in batch.GroupBy(c => c.CacheTtl))
            {
                await CompleteBatchAsync(group.ToList(), group.Key);
            }

            if (Interlocked.Add(ref unwritten, -batch.Count) < UnwrittenLimit)
            {
                foreach (var queue in queues.Values)
                {
                    queue.Signal();
                }
            }

            batch.Clear();
        }
    }

    private async Task CompleteBatchAsync(List<Completion> batch, TimeSpan? cacheTtl)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await using var command = dataSource.CreateCommand("SELECT complete_jobs(@worker, @ids, @results, @ttl)");
                command.Parameters.AddWithValue("worker", WorkerId);
                command.Parameters.AddWithValue("ids", batch.Select(c => c.JobId).ToArray());
                command.Parameters.Add(new NpgsqlParameter("results", NpgsqlDbType.Array | NpgsqlDbType.Jsonb)
                {
                    Value = batch.Select(c => c.ResultJson).ToArray(),
                });
                command.Parameters.Add(new NpgsqlParameter("ttl", NpgsqlDbType.Integer)
                {
                    Value = cacheTtl is { } ttl ? (int)Math.Ceiling(ttl.TotalSeconds) : DBNull.Value,
                });
                await command.ExecuteScalarAsync(CancellationToken.None);
                foreach (var completion in batch)
                {
                    metrics.Completed.Add(1, completion.Tags);
                    if (cacheTtl is { } resultTtl && completion.Job.CacheKey is { } key)
                    {
                        await resultCache.SetAsync(completion.Job.JobType, key, completion.ResultJson, resultTtl);
                    }
                }

                return;
            }
            catch (Exception error) when ((error is NpgsqlException or TimeoutException) && attempt < 5)
            {
                LogStateWriteFailed(error, batch[0].JobId);
                await Task.Delay(TimeSpan.FromMilliseconds(200 * attempt), CancellationToken.None);
            }
            catch (Exception error) when (error is NpgsqlException or TimeoutException)
            {
                // Still processing in the database: their leases expire and they run again. Nothing is lost.
                LogStateWriteFailed(error, batch[0].JobId);
                return;
            }
        }
    }

    /// <summary>Extends the leases of running jobs; notices cancellations and leases lost to a rescue.</summary>
    private async Task HeartbeatLoopAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(options.HeartbeatInterval);
        while (await WaitForNextTickAsync(timer, cancellationToken))
        {
            var ids = running.Where(r => r.Value.Reason == StopReason.None).Select(r => r.Key).ToArray();
            if (ids.Length == 0)
            {
                continue;
            }

            try
            {
                await using var command = dataSource.CreateCommand("SELECT id, cancel_requested FROM heartbeat_jobs(@worker, @ids, @lease)");
                command.Parameters.AddWithValue("worker", WorkerId);
                command.Parameters.AddWithValue("ids", ids);
                command.Parameters.AddWithValue("lease", (int)Math.Ceiling(options.LeaseDuration.TotalSeconds));
                var owned = new HashSet<Guid>();
                await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
                {
                    while (await reader.ReadAsync(cancellationToken))
                    {
                        owned.Add(reader.GetGuid(0));
                        if (reader.GetBoolean(1) && running.TryGetValue(reader.GetGuid(0), out var cancelled))
                        {
                            cancelled.Stop(StopReason.CancelledByUser);
                        }
                    }
                }

                foreach (var id in ids.Where(id => !owned.Contains(id)))
                {
                    if (running.TryGetValue(id, out var lost))
                    {
                        lost.Stop(StopReason.LeaseLost);
                    }
                }
            }
            catch (Exception error) when (error is NpgsqlException or TimeoutException)
            {
                LogHeartbeatFailed(error);
            }
        }
    }

    /// <summary>
    /// One dedicated connection LISTENs: enqueues wake the claim loops at once (polling covers a lost connection),
    /// and a cancel request for a job running here fires its token within milliseconds. A connection that goes
    /// half-open is noticed by <see cref="ListenConnection.WaitAsync"/> and replaced; the new one catches up.
    /// </summary>
    private async Task ListenAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
                connection.Notification += OnNotification;
                await using (var listen = new NpgsqlCommand($"LISTEN {WakeupChannel}; LISTEN {ProgressChannel}", connection))
                {
                    await listen.ExecuteNonQueryAsync(cancellationToken);
                }

                foreach (var queue in queues.Values)
                {
                    queue.Signal(); // catch up on anything enqueued while we were not listening
                }

                // Checked after ListenCheckInterval of silence: a half-open connection is replaced within seconds.
                await ListenConnection.WaitAsync(connection, options.ListenCheckInterval, cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception error) when (error is NpgsqlException or TimeoutException or System.IO.IOException)
            {
                LogListenFailed(error);
                await Delay(TimeSpan.FromSeconds(1), cancellationToken);
            }
        }
    }

    private void OnNotification(object sender, NpgsqlNotificationEventArgs e)
    {
        if (e.Channel == WakeupChannel)
        {
            if (queues.TryGetValue(e.Payload, out var queue))
            {
                queue.Signal();
            }

            return;
        }

        // job_progress: only cancel requests for jobs running here matter to a worker.
        if (running.IsEmpty || !e.Payload.Contains("\"cancel_requested\" : true", StringComparison.Ordinal))
        {
            return;
        }

        try
        {
            using var payload = JsonDocument.Parse(e.Payload);
            var jobs = payload.RootElement.ValueKind == JsonValueKind.Array
                ? payload.RootElement.EnumerateArray().ToList()
                : [payload.RootElement];
            foreach (var element in jobs)
            {
                if (element.TryGetProperty("cancel_requested", out var flag) && flag.ValueKind == JsonValueKind.True
                    && element.TryGetProperty("id", out var id) && id.TryGetGuid(out var jobId) && running.TryGetValue(jobId, out var job))
                {
                    job.Stop(StopReason.CancelledByUser);
                }
            }
        }
        catch (JsonException)
        {
        }
    }

    private static async Task<bool> WaitForNextTickAsync(PeriodicTimer timer, CancellationToken cancellationToken)
    {
        try
        {
            return await timer.WaitForNextTickAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private static async Task Delay(TimeSpan delay, CancellationToken cancellationToken)
    {
        try
        {
            await Task.Delay(delay, cancellationToken);
        }
        catch (OperationCanceledException)
        {
        }
    }

    public override void Dispose()
    {
        hardStop.Dispose();
        base.Dispose();
    }

    private sealed record Completion(JobRecord Job, string ResultJson, TimeSpan? CacheTtl, TagList Tags)
    {
        public Guid JobId => Job.Id;
    }

    private enum StopReason
    {
        None,
        CancelledByUser,
        Timeout,
        Shutdown,
        LeaseLost,
    }

    /// <summary>A job whose handler runs here, with the token that stops it and why it was stopped.</summary>
    private sealed class RunningJob : IDisposable
    {
        private readonly CancellationTokenSource source;
        private CancellationTokenSource? timeoutSource;
        private CancellationTokenRegistration timeoutRegistration;
        private int reason;

        public RunningJob(JobRecord job, CancellationToken hardStop)
        {
            Job = job;
            source = CancellationTokenSource.CreateLinkedTokenSource(hardStop);
        }

        /// <summary>The job's time limit counts from when its handler starts, not from when it was claimed.</summary>
        public void StartTimeout(TimeSpan timeout)
        {
            timeoutSource = new CancellationTokenSource(timeout);
            timeoutRegistration = timeoutSource.Token.Register(() => Stop(StopReason.Timeout));
        }

        public JobRecord Job { get; }

        public CancellationToken Token => source.Token;

        public StopReason Reason => (StopReason)Volatile.Read(ref reason);

        /// <summary>The first reason wins.</summary>
        public void Stop(StopReason why)
        {
            if (Interlocked.CompareExchange(ref reason, (int)why, (int)StopReason.None) == (int)StopReason.None)
            {
                try
                {
                    source.Cancel();
                }
                catch (ObjectDisposedException)
                {
                }
            }
        }

        public void Dispose()
        {
            timeoutRegistration.Dispose();
            timeoutSource?.Dispose();
            source.Dispose();
        }
    }

    /// <summary>A queue served here: its concurrency, what runs, and the signal that wakes its claim loop.</summary>
    private sealed class QueueState(string name, int concurrency, int prefetch)
    {
        private readonly SemaphoreSlim signal = new(0, 1);

        /// <summary>Claimed here and not finished: buffered plus running.</summary>
        public int Outstanding;

        public string Name { get; } = name;

        public int Concurrency { get; } = concurrency;

        /// <summary>How many claimed jobs may wait in the local buffer beyond those running.</summary>
        public int Prefetch { get; } = prefetch;

        public Channel<JobRecord> Buffer { get; } = Channel.CreateUnbounded<JobRecord>();

        public void Signal()
        {
            if (signal.CurrentCount == 0)
            {
                try
                {
                    signal.Release();
                }
                catch (SemaphoreFullException)
                {
                }
            }
        }

        public Task<bool> WaitAsync(TimeSpan timeout, CancellationToken cancellationToken) => signal.WaitAsync(timeout, cancellationToken);
    }

    [LoggerMessage(LogLevel.Information, "Worker {WorkerId} serving {Queues}")]
    private partial void LogStarting(string workerId, string queues);

    [LoggerMessage(LogLevel.Information, "Worker {WorkerId} stopped")]
    private partial void LogStopped(string workerId);

    [LoggerMessage(LogLevel.Warning, "Shutdown grace period over: releasing {Count} running jobs back to pending")]
    private partial void LogReleasing(int count);

    [LoggerMessage(LogLevel.Warning, "Claiming from queue {Queue} failed; retrying")]
    private partial void LogClaimFailed(Exception error, string queue);

    [LoggerMessage(LogLevel.Warning, "Job {JobId} ({JobType}) attempt {Attempt} failed, now {Status}: {Error}")]
    private partial void LogJobFailed(Guid jobId, string jobType, int attempt, string status, string error);

    [LoggerMessage(LogLevel.Error, "Job {JobId} ({JobType}) threw; its owner sees a generic message")]
    private partial void LogJobError(Exception error, Guid jobId, string jobType);

    [LoggerMessage(LogLevel.Warning, "Job {JobId}: its lease was lost to a rescue; this run's outcome is dropped ({Message})")]
    private partial void LogLeaseLost(Guid jobId, string message);

    [LoggerMessage(LogLevel.Error, "Writing the state of job {JobId} failed; its lease will expire and it will run again")]
    private partial void LogStateWriteFailed(Exception error, Guid jobId);

    [LoggerMessage(LogLevel.Warning, "Heartbeat failed")]
    private partial void LogHeartbeatFailed(Exception error);

    [LoggerMessage(LogLevel.Warning, "LISTEN connection lost; polling until it is back")]
    private partial void LogListenFailed(Exception error);
}
