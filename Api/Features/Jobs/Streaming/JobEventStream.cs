using System.Runtime.CompilerServices;
using Npgsql;
using Platform.Core.Data;
using Platform.Core.Jobs;

namespace Platform.Api.Features.Jobs.Streaming;

/// <summary>One message of a job's live stream: <c>snapshot</c> first, then <c>progress</c>, then a terminal event.</summary>
/// <param name="Event">snapshot, progress, completed, failed or cancelled.</param>
public sealed record JobStreamMessage(string Event, JobResponse Job);

/// <summary>
/// The live stream of one job for its owner, shared by SSE and WebSocket: subscribes before reading the current state
/// (so nothing slips between; the only per-stream query, under RLS, which also proves ownership), then relays the
/// hub's NOTIFYs and its periodic re-reads (one query per tick for all streams, see <see cref="JobNotificationHub"/>);
/// ends after the terminal state.
/// </summary>
public sealed class JobEventStream(NpgsqlDataSource dataSource, JobNotificationHub hub)
{
    /// <summary>Nothing changed for a while: lets transports keep idle connections open.</summary>
    public const string Heartbeat = "heartbeat";

    /// <summary>The job as its owner sees it (RLS), or null when it is not theirs or does not exist.</summary>
    public async Task<JobRecord?> FindAsync(Guid userId, Guid jobId, CancellationToken cancellationToken)
    {
        await using var scope = await UserScope.BeginAsync(dataSource, userId, cancellationToken);
        return await JobReader.FindAsync(scope, jobId, cancellationToken);
    }

    public JobNotificationHub.Subscription Subscribe(Guid jobId) => hub.Subscribe(jobId);

    public async IAsyncEnumerable<JobStreamMessage> ReadAsync(
        JobRecord initial, JobNotificationHub.Subscription subscription, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var last = initial;
        yield return new JobStreamMessage("snapshot", JobResponse.From(initial));
        if (JobStatus.IsTerminal(initial.Status))
        {
            yield return new JobStreamMessage(initial.Status, JobResponse.From(initial));
            yield break;
        }

        // The hub re-reads every tick; two ticks without anything (the database unreachable) still send a heartbeat.
        var quiet = hub.RecheckInterval * 2;
        while (!cancellationToken.IsCancellationRequested)
        {
            JobUpdate? update = null;
            using (var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                wait.CancelAfter(quiet);
                try
                {
                    if (await subscription.Reader.WaitToReadAsync(wait.Token))
                    {
                        subscription.Reader.TryRead(out update);
                    }
                    else
                    {
                        yield break; // unsubscribed
                    }
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    // Quiet for two ticks: heartbeat below.
                }
            }

            if (cancellationToken.IsCancellationRequested)
            {
                yield break;
            }

            switch (update)
            {
                case JobNotification notification when !JobStatus.IsTerminal(notification.Status):
                    if (notification.Progress != last.Progress || notification.Message != last.ProgressMessage || notification.Status != last.Status)
                    {
                        last = last with { Status = notification.Status, Progress = notification.Progress, ProgressMessage = notification.Message };
                        yield return new JobStreamMessage("progress", JobResponse.From(last));
                    }

                    break;
                case JobNotification:
                    break; // terminal: the hub re-reads the job (with its result) at once
                case JobReread { Job: null }:
                    yield break; // deleted by retention
                case JobReread { Job: { } current } when JobStatus.IsTerminal(current.Status):
                    yield return new JobStreamMessage(current.Status, JobResponse.From(current));
                    yield break;
                case JobReread { Job: { } current }
                    when current.Progress != last.Progress || current.ProgressMessage != last.ProgressMessage || current.Status != last.Status:
                    last = current;
                    yield return new JobStreamMessage("progress", JobResponse.From(current));
                    break;
                default:
                    yield return new JobStreamMessage(Heartbeat, JobResponse.From(last));
                    break;
            }
        }
    }
}
