using System.Threading.Channels;
using Npgsql;
using Platform.Core.Data;
using Platform.Core.Jobs;

namespace Platform.Workers.Queue.Engine;

/// <summary>
/// Writes each <see cref="JobOutcome"/> back to the database and then lets go of the job (<see cref="RunningJobs"/>).
/// Completions, the common case, are batched: <see cref="WriterCount"/> loops each write whatever finished while the
/// previous batch was written (<c>complete_jobs</c>, up to <see cref="WorkerOptions.CompletionBatchSize"/>).
/// Failures, reschedules and releases are written at once by the executor that produced them.
/// <para>
/// Backpressure: <see cref="IsBackedUp"/> while more completions wait than one round of the writers takes; the
/// producers stop claiming then, so claiming never outruns completing.
/// </para>
/// <para>
/// A write that fails because the database is unreachable (<see cref="DatabaseOutage.IsOutage"/>) or for another
/// transient reason (a deadlock, a serialization failure) is retried with backoff for as long as the job's lease
/// lasts: the heartbeat renews it meanwhile, so an outage shorter than the lease never runs a job twice. Only a job
/// whose lease ran out is given up on (a rescue runs it again; the write would be refused anyway). Any other error is
/// retried a few times, then given up on.
/// </para>
/// </summary>
internal sealed partial class CompletionWriter(
    EngineSql sql, NpgsqlDataSource dataSource, RunningJobs running, JobResultCache resultCache, QueueMetrics metrics,
    int batchSize, int writerCount, Action drained, ILogger logger)
{
    /// <summary>First pause before a failed write is retried; it doubles up to <see cref="MaxRetryDelay"/>.</summary>
    public static readonly TimeSpan FirstRetryDelay = TimeSpan.FromMilliseconds(100);

    public static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(2);

    /// <summary>Tries of a write that failed for a reason other than an outage.</summary>
    public const int AttemptsForOtherErrors = 5;

    private readonly Channel<JobOutcome.Completed> completions = Channel.CreateUnbounded<JobOutcome.Completed>();
    private int unwritten;

    public int WriterCount { get; } = Math.Max(1, writerCount);

    /// <summary>Finished here, not yet written: claims wait while this reaches what the writers take in one round.</summary>
    public bool IsBackedUp => Volatile.Read(ref unwritten) >= batchSize * WriterCount;

    /// <summary>Runs the batch writers until <see cref="Complete"/> and everything handed over is written.</summary>
    public Task RunAsync() => Task.WhenAll(Enumerable.Range(0, WriterCount).Select(_ => WriteBatchesAsync()));

    /// <summary>No more outcomes will come: the writers finish what they hold and stop.</summary>
    public void Complete() => completions.Writer.TryComplete();

    /// <summary>Records <paramref name="outcome"/>: a completion is queued for the next batch, anything else written now.</summary>
    public async Task WriteAsync(JobOutcome outcome)
    {
        if (outcome is JobOutcome.Completed completed)
        {
            completed.Run.AwaitsBatchWrite = true;
            Interlocked.Increment(ref unwritten);
            completions.Writer.TryWrite(completed);
            return;
        }

        var job = outcome.Run.Job;
        switch (outcome)
        {
            case JobOutcome.Failed failed:
                await FailAsync(failed, failed.Error, failed.RetryDelay, permanent: false);
                break;
            case JobOutcome.FailedPermanently failed:
                await FailAsync(failed, failed.Error, TimeSpan.Zero, permanent: true);
                break;
            case JobOutcome.Rescheduled rescheduled:
                await WriteWhileLeasedAsync([outcome.Run], _ => sql.RescheduleAsync(job.Id, rescheduled.RunAt, rescheduled.Reason));
                break;
            case JobOutcome.Released:
                await WriteWhileLeasedAsync([outcome.Run], _ => sql.ReleaseAsync([job.Id]));
                break;
            case JobOutcome.LeaseLost lost:
                LogLeaseLost(job.Id, lost.Detail);
                break;
        }

        running.Remove(job.Id);
    }

    /// <summary>Hands jobs back to pending at shutdown (one statement; retried while their leases last).</summary>
    public async Task ReleaseAsync(IReadOnlyCollection<RunningJob> runs)
    {
        if (runs.Count == 0)
        {
            return;
        }

        await WriteWhileLeasedAsync(runs.ToList(), held => sql.ReleaseAsync(held.Select(r => r.Job.Id).ToArray()));
        foreach (var run in runs)
        {
            running.Remove(run.Job.Id);
        }
    }

    private async Task FailAsync(JobOutcome outcome, string error, TimeSpan retryDelay, bool permanent)
    {
        var job = outcome.Run.Job;
        string? status = null;
        await WriteWhileLeasedAsync([outcome.Run], async _ => status = await sql.FailAsync(job.Id, error, retryDelay, permanent));
        if (status == JobStatus.Pending)
        {
            metrics.Retried.Add(1, outcome.Tags);
        }

        LogJobFailed(job.Id, job.JobType, job.Attempts, status ?? "(not ours any more)", error);
    }

    private async Task WriteBatchesAsync()
    {
        var reader = completions.Reader;
        var batch = new List<JobOutcome.Completed>(batchSize);
        while (await reader.WaitToReadAsync(CancellationToken.None))
        {
            while (batch.Count < batchSize && reader.TryRead(out var completion))
            {
                batch.Add(completion);
            }

            foreach (var group in batch.GroupBy(c => c.CacheTtl))
            {
                await CompleteAsync(group.ToList(), group.Key);
            }

            foreach (var completion in batch)
            {
                running.Remove(completion.Run.Job.Id);
            }

            if (Interlocked.Add(ref unwritten, -batch.Count) < batchSize * WriterCount)
            {
                drained();
            }

            batch.Clear();
        }
    }

    private async Task CompleteAsync(List<JobOutcome.Completed> group, TimeSpan? cacheTtl)
    {
        var written = await WriteWhileLeasedAsync(group, c => c.Run, held => sql.CompleteAsync(
            held.Select(c => c.Run.Job.Id).ToArray(), held.Select(c => c.ResultJson).ToArray(), cacheTtl));
        foreach (var completion in written)
        {
            metrics.Completed.Add(1, completion.Tags);
            if (cacheTtl is { } ttl && completion.Run.Job.CacheKey is { } key)
            {
                await resultCache.SetAsync(completion.Run.Job.JobType, key, completion.ResultJson, ttl);
            }
        }
    }

    private Task<List<RunningJob>> WriteWhileLeasedAsync(List<RunningJob> runs, Func<List<RunningJob>, Task> write) =>
        WriteWhileLeasedAsync(runs, r => r, write);

    /// <summary>
    /// Runs <paramref name="write"/> for the items of <paramref name="items"/> whose jobs are still leased until it
    /// succeeds; returns the items it was written for (the list itself, less those whose lease ran out), or an empty
    /// list when it gave up.
    /// </summary>
    private async Task<List<T>> WriteWhileLeasedAsync<T>(List<T> items, Func<T, RunningJob> run, Func<List<T>, Task> write)
    {
        var delay = FirstRetryDelay;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await write(items);
                return items;
            }
            catch (Exception error) when (error is NpgsqlException or TimeoutException)
            {
                if (DatabaseOutage.BrokeConnections(error))
                {
                    dataSource.Clear(); // the pool's idle connections broke too: do not fail on each of them in turn
                }

                var firstId = items.Count > 0 ? run(items[0]).Job.Id : Guid.Empty;
                var expired = items.RemoveAll(i => !run(i).HoldsLease);
                var transient = DatabaseOutage.IsOutage(error) || error is NpgsqlException { IsTransient: true };
                if (items.Count == 0 || !(transient || attempt < AttemptsForOtherErrors))
                {
                    LogStateWriteAbandoned(error, items.Count + expired, firstId);
                    return [];
                }

                if (expired > 0)
                {
                    LogLeasesRanOut(expired);
                }

                foreach (var item in items)
                {
                    run(item).AwaitsBatchWrite = false; // the heartbeat keeps its lease while the write is retried
                }

                LogStateWriteRetrying(error, items.Count, run(items[0]).Job.Id, delay.TotalMilliseconds);
                await Task.Delay(delay, CancellationToken.None);
                delay = TimeSpan.FromTicks(Math.Min(MaxRetryDelay.Ticks, delay.Ticks * 2));
            }
        }
    }

    [LoggerMessage(LogLevel.Warning, "Job {JobId} ({JobType}) attempt {Attempt} failed, now {Status}: {Error}")]
    private partial void LogJobFailed(Guid jobId, string jobType, int attempt, string status, string error);

    [LoggerMessage(LogLevel.Warning, "Job {JobId}: its lease was lost to a rescue; this run's outcome is dropped ({Message})")]
    private partial void LogLeaseLost(Guid jobId, string message);

    [LoggerMessage(LogLevel.Warning, "Writing the outcome of {Count} jobs (first {JobId}) failed; retrying in {DelayMs} ms while their leases last")]
    private partial void LogStateWriteRetrying(Exception error, int count, Guid jobId, double delayMs);

    [LoggerMessage(LogLevel.Error, "The leases of {Count} finished jobs ran out before their outcome could be written; a rescue will run them again")]
    private partial void LogLeasesRanOut(int count);

    [LoggerMessage(LogLevel.Error, "Writing the outcome of {Count} jobs (first {JobId}) failed; given up, their leases expire and they run again")]
    private partial void LogStateWriteAbandoned(Exception error, int count, Guid jobId);
}
