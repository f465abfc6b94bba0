using System.Collections.Concurrent;
using System.Diagnostics;
using Platform.Core.Jobs;

namespace Platform.Workers.Queue.Engine;

/// <summary>
/// The jobs this process holds, by id: from the claim until their outcome is written (or handed back). The heartbeat
/// renews their leases (<see cref="LeasedIds"/>; a finished job whose outcome write is being retried stays ours), a
/// cancel request stops one of them, and shutdown releases what is left.
/// </summary>
internal sealed class RunningJobs
{
    private readonly ConcurrentDictionary<Guid, RunningJob> jobs = new();

    public int Count => jobs.Count;

    public bool IsEmpty => jobs.IsEmpty;

    /// <summary>Registers a job claimed by a statement sent at <paramref name="claimedAt"/> with a lease of <paramref name="lease"/>.</summary>
    public RunningJob Add(JobRecord job, long claimedAt, TimeSpan lease)
    {
        var run = new RunningJob(job);
        run.ExtendLease(claimedAt, lease);
        jobs[job.Id] = run;
        return run;
    }

    public bool TryGet(Guid id, out RunningJob run) => jobs.TryGetValue(id, out run!);

    /// <summary>Forgets a job whose outcome was written, handed back or given up on.</summary>
    public void Remove(Guid id)
    {
        if (jobs.TryRemove(id, out var run))
        {
            run.Dispose();
        }
    }

    /// <summary>Stops the job if it is held here (a cancel request, a lost lease).</summary>
    public void Stop(Guid id, StopReason why)
    {
        if (jobs.TryGetValue(id, out var run))
        {
            run.Stop(why);
        }
    }

    public void StopAll(StopReason why)
    {
        foreach (var run in jobs.Values)
        {
            run.Stop(why);
        }
    }

    /// <summary>Fires the token of every job whose time limit ran out by <paramref name="now"/> (<see cref="JobTimeouts"/>).</summary>
    public void StopOverdue(long now)
    {
        foreach (var pair in jobs)
        {
            pair.Value.StopIfOverdue(now);
        }
    }

    /// <summary>
    /// The ids whose leases the heartbeat renews: every job held, except those lost to a rescue and those queued for a
    /// completion batch that has not failed (<see cref="RunningJob.AwaitsBatchWrite"/>).
    /// </summary>
    public Guid[] LeasedIds() =>
        jobs.Where(j => j.Value.Reason != StopReason.LeaseLost && !j.Value.AwaitsBatchWrite).Select(j => j.Key).ToArray();

    /// <summary>Every job held now.</summary>
    public List<RunningJob> All() => jobs.Values.ToList();

    /// <summary>Renews the local lease of the jobs a heartbeat sent at <paramref name="renewedAt"/> found held.</summary>
    public void ExtendLeases(IEnumerable<Guid> ids, long renewedAt, TimeSpan lease)
    {
        foreach (var id in ids)
        {
            if (jobs.TryGetValue(id, out var run))
            {
                run.ExtendLease(renewedAt, lease);
            }
        }
    }

    /// <summary>A monotonic timestamp for <see cref="Add"/> and <see cref="ExtendLeases"/>, taken before the statement is sent.</summary>
    public static long Now() => Stopwatch.GetTimestamp();
}
