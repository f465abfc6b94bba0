using System.Diagnostics;
using Platform.Core.Jobs;

namespace Platform.Workers.Queue.Engine;

/// <summary>Why a job's token fired; the first reason wins.</summary>
internal enum StopReason
{
    None,
    CancelledByUser,
    Timeout,
    Shutdown,
    LeaseLost,
}

/// <summary>
/// A job claimed by this process and not yet written back: the token its handler gets, why that token fired, and
/// until when its lease lasts as far as this process knows (a monotonic <see cref="Stopwatch"/> timestamp, moved on by
/// every heartbeat that reached the database; the database's own <c>locked_until</c> is never earlier), and when its
/// time limit runs out (also a <see cref="Stopwatch"/> timestamp, checked by <see cref="JobTimeouts"/>: no timer per job).
/// </summary>
internal sealed class RunningJob(JobRecord job) : IDisposable
{
    private readonly CancellationTokenSource source = new();
    private long timeoutAt = long.MaxValue;
    private int reason;
    private long leaseExpiresAt = long.MinValue;
    private bool awaitsBatchWrite;

    public JobRecord Job { get; } = job;

    public CancellationToken Token => source.Token;

    /// <summary>The job's metric tags: <c>job_type</c> and <c>queue</c> (a value built on use; nothing is stored per job).</summary>
    public TagList Tags => new() { { "job_type", Job.JobType }, { "queue", Job.Queue } };

    /// <summary>
    /// Queued for a completion batch, whose statement may hold this job's row: the heartbeat leaves the job alone then
    /// (two multi-row updates of the same rows in different orders can deadlock), until a write for it fails and is
    /// retried, when the heartbeat renews its lease again.
    /// </summary>
    public bool AwaitsBatchWrite
    {
        get => Volatile.Read(ref awaitsBatchWrite);
        set => Volatile.Write(ref awaitsBatchWrite, value);
    }

    public StopReason Reason => (StopReason)Volatile.Read(ref reason);

    /// <summary>False once the lease this process last renewed has run out (a rescue may then take the job).</summary>
    public bool HoldsLease => Stopwatch.GetTimestamp() < Volatile.Read(ref leaseExpiresAt);

    /// <summary>A lease renewed at <paramref name="renewedAt"/> (a timestamp taken before the statement was sent) for <paramref name="lease"/>.</summary>
    public void ExtendLease(long renewedAt, TimeSpan lease)
    {
        var expires = renewedAt + (long)(lease.TotalSeconds * Stopwatch.Frequency);
        long current;
        while ((current = Volatile.Read(ref leaseExpiresAt)) < expires
               && Interlocked.CompareExchange(ref leaseExpiresAt, expires, current) != current)
        {
        }
    }

    /// <summary>The job's time limit counts from when its handler starts, not from when it was claimed.</summary>
    public void StartTimeout(TimeSpan timeout) =>
        Volatile.Write(ref timeoutAt, Stopwatch.GetTimestamp() + (long)Math.Min(timeout.TotalSeconds * Stopwatch.Frequency, long.MaxValue / 2));

    /// <summary>The handler returned: its time limit no longer applies while its outcome is written.</summary>
    public void StopTimeout() => Volatile.Write(ref timeoutAt, long.MaxValue);

    /// <summary>Fires the token for <see cref="StopReason.Timeout"/> when the time limit ran out by <paramref name="now"/> (a <see cref="Stopwatch"/> timestamp).</summary>
    public void StopIfOverdue(long now)
    {
        if (now >= Volatile.Read(ref timeoutAt))
        {
            Stop(StopReason.Timeout);
        }
    }

    /// <summary>Fires the token for <paramref name="why"/> unless it fired already.</summary>
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

    public void Dispose() => source.Dispose();
}
