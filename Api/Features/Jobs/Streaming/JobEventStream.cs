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
/// (so nothing slips between), then relays NOTIFYs and re-reads the job every few seconds in case one was missed;
/// ends after the terminal state.
/// </summary>
public sealed class JobEventStream(NpgsqlDataSource dataSource, JobNotificationHub hub)
{
    /// <summary>Nothing changed for a while: lets transports keep idle connections open.</summary>
    public const string Heartbeat = "heartbeat";

    private static readonly TimeSpan Recheck = TimeSpan.FromSeconds(5);

    /// <summary>The job as its owner sees it (RLS), or null when it is not theirs or does not exist.</summary>
    public async Task<JobRecord?> FindAsync(Guid userId, Guid jobId, CancellationToken cancellationToken)
    {
        await using var scope = await UserScope.BeginAsync(dataSource, userId, cancellationToken);
        return await JobReader.FindAsync(scope, jobId, cancellationToken);
    }

    public JobNotificationHub.Subscription Subscribe(Guid jobId) => hub.Subscribe(jobId);

    public async IAsyncEnumerable<JobStreamMessage> ReadAsync(
        Guid userId, JobRecord initial, JobNotificationHub.Subscription subscription, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var last = initial;
        yield return new JobStreamMessage("snapshot", JobResponse.From(initial));
        if (JobStatus.IsTerminal(initial.Status))
        {
            yield return new JobStreamMessage(initial.Status, JobResponse.From(initial));
            yield break;
        }

        while (!cancellationToken.IsCancellationRequested)
        {
            JobNotification? notification = null;
            using (var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                wait.CancelAfter(Recheck);
                try
                {
                    if (await subscription.Reader.WaitToReadAsync(wait.Token))
                    {
                        subscription.Reader.TryRead(out notification);
                    }
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    // Quiet for a while: re-read below.
                }
            }

            if (cancellationToken.IsCancellationRequested)
            {
                yield break;
            }

            if (notification is not null && !JobStatus.IsTerminal(notification.Status))
            {
                if (notification.Progress != last.Progress || notification.Message != last.ProgressMessage || notification.Status != last.Status)
                {
                    last = last with { Status = notification.Status, Progress = notification.Progress, ProgressMessage = notification.Message };
                    yield return new JobStreamMessage("progress", JobResponse.From(last));
                }

                continue;
            }

            // A terminal notification, or a quiet period: read the job itself (with its result).
            var current = await FindAsync(userId, initial.Id, cancellationToken);
            if (current is null)
            {
                yield break; // deleted by retention
            }

            if (JobStatus.IsTerminal(current.Status))
            {
                yield return new JobStreamMessage(current.Status, JobResponse.From(current));
                yield break;
            }

            if (current.Progress != last.Progress || current.ProgressMessage != last.ProgressMessage || current.Status != last.Status)
            {
                last = current;
                yield return new JobStreamMessage("progress", JobResponse.From(current));
            }
            else if (notification is null)
            {
                yield return new JobStreamMessage(Heartbeat, JobResponse.From(last));
            }
        }
    }
}
