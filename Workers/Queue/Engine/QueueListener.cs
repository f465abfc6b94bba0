using System.Text.Json;
using Npgsql;
using Platform.Core.Data;
using Platform.Core.Jobs;

namespace Platform.Workers.Queue.Engine;

/// <summary>
/// The engine's one LISTEN connection (<see cref="JobNotifications"/>): a wake-up for a queue served here wakes its
/// producer at once (polling covers a lost connection), and a cancel request for a job held here stops it within
/// milliseconds. A connection that goes half-open is noticed by <see cref="ListenConnection.WaitAsync"/> and
/// replaced; every new connection first wakes every queue, to catch up on what was enqueued while none listened.
/// </summary>
internal sealed partial class QueueListener(
    NpgsqlDataSource dataSource, TimeSpan checkInterval, Action<string> wake, Action wakeAll, RunningJobs running, ILogger logger)
{
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
                connection.Notification += OnNotification;
                await using (var listen = new NpgsqlCommand(EngineSql.Listen, connection))
                {
                    await listen.ExecuteNonQueryAsync(cancellationToken);
                }

                wakeAll();
                await ListenConnection.WaitAsync(connection, checkInterval, cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception error) when (error is NpgsqlException or TimeoutException or IOException)
            {
                LogListenFailed(error);
                await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }

    private void OnNotification(object sender, NpgsqlNotificationEventArgs e)
    {
        if (e.Channel == JobNotifications.QueueWakeupChannel)
        {
            wake(e.Payload);
            return;
        }

        // job_progress: only cancel requests for jobs held here matter to a worker; most payloads under load are the
        // claims and completions of other jobs, skipped without parsing.
        if (e.Channel != JobNotifications.JobProgressChannel || running.IsEmpty || !JobNotifications.MayRequestCancel(e.Payload))
        {
            return;
        }

        try
        {
            foreach (var change in JobNotifications.ParseJobChanges(e.Payload))
            {
                if (change.CancelRequested)
                {
                    running.Stop(change.Id, StopReason.CancelledByUser);
                }
            }
        }
        catch (JsonException error)
        {
            LogBadPayload(error, e.Payload); // the heartbeat still sees the cancel request
        }
    }

    [LoggerMessage(LogLevel.Warning, "LISTEN connection lost; polling until it is back")]
    private partial void LogListenFailed(Exception error);

    [LoggerMessage(LogLevel.Warning, "Unreadable job_progress payload: {Payload}")]
    private partial void LogBadPayload(Exception error, string payload);
}
