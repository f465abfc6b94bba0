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
/// every heartbeat that reached the database; the database's own <c>locked_until</c> is never earlier).
/// </summary>
internal sealed class RunningJob(JobRecord job) : IDisposable
{
    private readonly CancellationTokenSource source = new();
    private CancellationTokenSource? timeoutSource;
    private CancellationTokenRegistration timeoutRegistration;
    private int reason;
    private long leaseExpiresAt = long.MinValue;
    private bool awaitsBatchWrite;

    public JobRecord Job { get; } = job;

    public CancellationToken Token => source.Token;

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
    public void StartTimeout(TimeSpan timeout)
    {
        timeoutSource = new CancellationTokenSource(timeout);
        timeoutRegistration = timeoutSource.Token.Register(() => Stop(StopReason.Timeout));
    }

    /// <summary>The handler returned: its time limit no longer applies while its outcome is written.</summary>
    public void StopTimeout()
    {
        timeoutRegistration.Dispose();
        timeoutSource?.Dispose();
        timeoutSource = null;
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

    public void Dispose()
    {
        StopTimeout();
        source.Dispose();
    }
}
