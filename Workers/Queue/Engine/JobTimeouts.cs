using System.Diagnostics;

namespace Platform.Workers.Queue.Engine;

/// <summary>
/// Enforces the time limits of the running jobs (<see cref="RunningJob.StartTimeout"/>) with one periodic check every
/// <see cref="Resolution"/> instead of a timer per job: a job's token fires for <see cref="StopReason.Timeout"/> at most
/// <see cref="Resolution"/> (plus scheduling delay) after its limit. Limits are whole seconds
/// (<c>timeout_seconds</c>, <see cref="Platform.Core.Jobs.JobTypeDefinition.Timeout"/>), so that is well inside them.
/// </summary>
internal sealed class JobTimeouts(RunningJobs running)
{
    /// <summary>How often the limits are checked.</summary>
    public static readonly TimeSpan Resolution = TimeSpan.FromMilliseconds(100);

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(Resolution);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                if (!running.IsEmpty)
                {
                    running.StopOverdue(Stopwatch.GetTimestamp());
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }
}
