using System.Threading.Channels;
using Npgsql;
using Platform.Core.Jobs;

namespace Platform.Workers.Queue.Engine;

/// <summary>
/// One queue served by this process. Its claim loop keeps a local buffer filled (<c>claim_jobs</c> in batches of at
/// least half a prefetch under load, so claims stay big, or anything at all when idle, so latency stays low) and its
/// <see cref="Concurrency"/> executor slots run the buffered jobs one after another. The claim loop sleeps until
/// <see cref="Wake"/> (a NOTIFY, a finished job, drained completions) or <see cref="WorkerOptions.PollInterval"/>.
/// <para>States of a claimed job: buffered → running (a slot took it) → finished (its outcome handed to the
/// <see cref="CompletionWriter"/>); <see cref="TakeUnstarted"/> empties the buffer at shutdown.</para>
/// </summary>
internal sealed partial class QueueProducer(
    string name, int concurrency, int prefetch, int claimBatchSize, TimeSpan pollInterval, TimeSpan lease,
    EngineSql sql, RunningJobs running, JobExecutor executor, CompletionWriter writer, QueueMetrics metrics, ILogger logger)
{
    private readonly SemaphoreSlim signal = new(0, 1);
    private readonly Channel<RunningJob> buffer = Channel.CreateUnbounded<RunningJob>();
    private readonly KeyValuePair<string, object?> queueTag = new("queue", name);

    /// <summary>Claimed here and not finished: buffered plus running.</summary>
    private int outstanding;

    public string Name { get; } = name;

    /// <summary>Jobs of this queue run at once.</summary>
    public int Concurrency { get; } = concurrency;

    /// <summary>How many claimed jobs may wait in the local buffer beyond those running.</summary>
    public int Prefetch { get; } = prefetch;

    /// <summary>Wakes the claim loop now (cheap; wake-ups while it is awake are merged).</summary>
    public void Wake()
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

    /// <summary>Runs the executor slots until the buffer is closed (<see cref="TakeUnstarted"/>) and empty.</summary>
    public Task RunSlotsAsync() =>
        Task.WhenAll(Enumerable.Range(0, Concurrency).Select(_ => Task.Run(RunSlotAsync, CancellationToken.None)));

    public async Task ClaimLoopAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var held = Volatile.Read(ref outstanding);
                var free = Concurrency + Prefetch - held;
                if (free <= 0 || (held > 0 && free < Math.Max(1, Prefetch / 2)) || writer.IsBackedUp)
                {
                    await signal.WaitAsync(pollInterval, stoppingToken);
                    continue;
                }

                var wanted = Math.Min(free, claimBatchSize);
                var claimed = await ClaimAsync(wanted, stoppingToken);
                if (claimed < wanted)
                {
                    await signal.WaitAsync(pollInterval, stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception error) when (error is NpgsqlException or TimeoutException)
            {
                LogClaimFailed(error, Name);
                await Task.Delay(pollInterval, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }

    /// <summary>Closes the buffer and returns the jobs claimed but not started (to be released at once).</summary>
    public List<RunningJob> TakeUnstarted()
    {
        buffer.Writer.TryComplete();
        var unstarted = new List<RunningJob>();
        while (buffer.Reader.TryRead(out var run))
        {
            Interlocked.Decrement(ref outstanding);
            unstarted.Add(run);
        }

        return unstarted;
    }

    private async Task<int> ClaimAsync(int wanted, CancellationToken stoppingToken)
    {
        var sentAt = RunningJobs.Now();
        var jobs = await sql.ClaimAsync(Name, wanted, stoppingToken);
        if (jobs.Count == 0)
        {
            return 0;
        }

        var now = DateTimeOffset.UtcNow;
        metrics.Claimed.Add(jobs.Count, queueTag);
        foreach (var job in jobs)
        {
            metrics.ClaimLatency.Record(Math.Max(0, (now - job.RunAt).TotalMilliseconds), queueTag);
            Interlocked.Increment(ref outstanding);
            buffer.Writer.TryWrite(running.Add(job, sentAt, lease));
        }

        return jobs.Count;
    }

    private async Task RunSlotAsync()
    {
        await foreach (var run in buffer.Reader.ReadAllAsync(CancellationToken.None))
        {
            try
            {
                await writer.WriteAsync(await executor.RunAsync(run));
            }
            catch (Exception error)
            {
                // Not a handler's exception (the executor maps those): the engine's own. The slot goes on; the job's
                // lease runs out and a rescue runs it again.
                LogSlotFailed(error, run.Job.Id);
                running.Remove(run.Job.Id);
            }
            finally
            {
                Interlocked.Decrement(ref outstanding);
                Wake();
            }
        }
    }

    [LoggerMessage(LogLevel.Warning, "Claiming from queue {Queue} failed; retrying")]
    private partial void LogClaimFailed(Exception error, string queue);

    [LoggerMessage(LogLevel.Error, "Job {JobId}: the engine failed while running it; a rescue will run it again")]
    private partial void LogSlotFailed(Exception error, Guid jobId);
}
