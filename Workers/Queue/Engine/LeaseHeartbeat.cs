using Npgsql;

namespace Platform.Workers.Queue.Engine;

/// <summary>
/// Every <see cref="WorkerOptions.HeartbeatInterval"/>, renews the leases of the jobs held here (<c>heartbeat_jobs</c>,
/// <see cref="RunningJobs.LeasedIds"/>): running ones, and finished ones whose outcome write failed and is retried
/// (<see cref="CompletionWriter"/>). Its answer also stops the jobs whose owner asked to
/// cancel (the fallback when the NOTIFY was missed) and those lost to a rescue (not in the answer: another worker may
/// run them now, so this run's outcome is dropped).
/// </summary>
internal sealed partial class LeaseHeartbeat(EngineSql sql, RunningJobs running, TimeSpan interval, TimeSpan lease, ILogger logger)
{
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(interval);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                await BeatAsync(cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    private async Task BeatAsync(CancellationToken cancellationToken)
    {
        var ids = running.LeasedIds();
        if (ids.Length == 0)
        {
            return;
        }

        try
        {
            var sentAt = RunningJobs.Now();
            var held = await sql.HeartbeatAsync(ids, cancellationToken);
            running.ExtendLeases(held.Select(h => h.Id), sentAt, lease);
            foreach (var (id, cancelRequested) in held)
            {
                if (cancelRequested)
                {
                    running.Stop(id, StopReason.CancelledByUser);
                }
            }

            foreach (var id in ids.Except(held.Select(h => h.Id)))
            {
                running.Stop(id, StopReason.LeaseLost);
            }
        }
        catch (Exception error) when (error is NpgsqlException or TimeoutException)
        {
            LogHeartbeatFailed(error); // the leases run on; the next beat tries again
        }
    }

    [LoggerMessage(LogLevel.Warning, "Heartbeat failed")]
    private partial void LogHeartbeatFailed(Exception error);
}
