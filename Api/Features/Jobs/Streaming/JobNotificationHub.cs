using System.Collections.Concurrent;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.Options;
using Npgsql;
using Platform.Core.Data;
using Platform.Core.Jobs;

namespace Platform.Api.Features.Jobs.Streaming;

/// <summary>What the hub hands a stream: a NOTIFY (<see cref="JobNotification"/>) or a re-read (<see cref="JobReread"/>).</summary>
public abstract record JobUpdate(Guid Id);

/// <summary>A job's state change as a stream shows it, from a <see cref="JobChange"/> (no result: that is read on demand).</summary>
public sealed record JobNotification(Guid Id, string Status, int Progress, string? Message) : JobUpdate(Id);

/// <summary>The job as the hub's tick read it (with its result); <paramref name="Job"/> null: it no longer exists (retention).</summary>
public sealed record JobReread(Guid Id, JobRecord? Job) : JobUpdate(Id);

/// <summary>
/// One dedicated connection LISTENs on <c>job_progress</c> for the whole Api process and fans each notification out
/// to the streams (SSE, WebSocket) watching that job. Every <see cref="JobStreamOptions.RecheckSeconds"/>, and at once
/// after a terminal notification, one query re-reads every watched job (<c>id = ANY(...)</c>) for all streams
/// together, so a missed NOTIFY delays an update but never loses the terminal state, and N open streams cost one query
/// per tick, not N. Streams only subscribe to jobs whose owner they have checked (under RLS) when they opened.
/// </summary>
public sealed partial class JobNotificationHub(NpgsqlDataSource dataSource, IOptions<JobStreamOptions> options, ILogger<JobNotificationHub> logger)
    : BackgroundService
{
    private readonly ConcurrentDictionary<Guid, ConcurrentDictionary<Subscription, byte>> subscribers = new();
    private readonly Channel<byte> wake = System.Threading.Channels.Channel.CreateBounded<byte>(
        new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });

    /// <summary>The period of the re-read tick.</summary>
    public TimeSpan RecheckInterval { get; } = TimeSpan.FromSeconds(Math.Max(0.05, options.Value.RecheckSeconds));

    /// <summary>Starts buffering notifications of a job; dispose the subscription to stop.</summary>
    public Subscription Subscribe(Guid jobId)
    {
        var subscription = new Subscription(this, jobId);
        subscribers.GetOrAdd(jobId, _ => new()).TryAdd(subscription, 0);
        return subscription;
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(ListenAsync(stoppingToken), RecheckAsync(stoppingToken));

    private async Task ListenAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = await dataSource.OpenConnectionAsync(stoppingToken);
                connection.Notification += OnNotification;
                await using (var listen = new NpgsqlCommand($"LISTEN {JobNotifications.JobProgressChannel}", connection))
                {
                    await listen.ExecuteNonQueryAsync(stoppingToken);
                }

                // Checked after 5 s of silence: a half-open connection is replaced within about 12 s.
                await ListenConnection.WaitAsync(connection, ListenConnection.DefaultCheckInterval, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception error) when (error is NpgsqlException or TimeoutException or IOException)
            {
                LogListenFailed(error);
                await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }

    /// <summary>The tick: one query for every watched job, each result handed to that job's streams.</summary>
    private async Task RecheckAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                using var tick = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
                tick.CancelAfter(RecheckInterval);
                try
                {
                    await wake.Reader.ReadAsync(tick.Token); // a terminal notification: re-read now
                }
                catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
                {
                    // The period is over.
                }

                var ids = subscribers.Keys.ToArray();
                if (ids.Length > 0)
                {
                    await RereadAsync(ids, stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception error) when (error is NpgsqlException or TimeoutException or IOException)
            {
                LogRecheckFailed(error); // the streams keep their heartbeat; the next tick tries again
            }
        }
    }

    private async Task RereadAsync(Guid[] ids, CancellationToken ct)
    {
        var found = new Dictionary<Guid, JobRecord>(ids.Length);
        await using (var command = dataSource.CreateCommand($"SELECT {JobRecord.Columns} FROM job_queue WHERE id = ANY(@ids)"))
        {
            command.Parameters.AddWithValue("ids", ids);
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                var job = JobRecord.Read(reader);
                found[job.Id] = job;
            }
        }

        foreach (var id in ids)
        {
            if (subscribers.TryGetValue(id, out var watchers))
            {
                var update = new JobReread(id, found.GetValueOrDefault(id));
                foreach (var watcher in watchers.Keys)
                {
                    watcher.Writer.TryWrite(update);
                }
            }
        }
    }

    private void OnNotification(object sender, NpgsqlNotificationEventArgs e)
    {
        if (subscribers.IsEmpty)
        {
            return;
        }

        IReadOnlyList<JobChange> changes;
        try
        {
            changes = JobNotifications.ParseJobChanges(e.Payload);
        }
        catch (JsonException error)
        {
            LogBadPayload(error, e.Payload);
            return;
        }

        foreach (var change in changes)
        {
            Dispatch(change);
        }
    }

    private void Dispatch(JobChange change)
    {
        if (!subscribers.TryGetValue(change.Id, out var watchers))
        {
            return;
        }

        var notification = new JobNotification(change.Id, change.Status, change.Progress, change.Message);
        foreach (var watcher in watchers.Keys)
        {
            watcher.Writer.TryWrite(notification);
        }

        if (JobStatus.IsTerminal(notification.Status))
        {
            wake.Writer.TryWrite(0); // its streams need the result: re-read (all watched jobs, once) now
        }
    }

    private void Remove(Subscription subscription)
    {
        if (subscribers.TryGetValue(subscription.JobId, out var watchers))
        {
            watchers.TryRemove(subscription, out _);
            if (watchers.IsEmpty)
            {
                subscribers.TryRemove(KeyValuePair.Create(subscription.JobId, watchers));
            }
        }
    }

    public sealed class Subscription : IDisposable
    {
        private readonly JobNotificationHub hub;
        private readonly Channel<JobUpdate> channel =
            System.Threading.Channels.Channel.CreateBounded<JobUpdate>(new BoundedChannelOptions(256) { FullMode = BoundedChannelFullMode.DropOldest });

        internal Subscription(JobNotificationHub hub, Guid jobId)
        {
            this.hub = hub;
            JobId = jobId;
        }

        public Guid JobId { get; }

        internal ChannelWriter<JobUpdate> Writer => channel.Writer;

        public ChannelReader<JobUpdate> Reader => channel.Reader;

        public void Dispose()
        {
            hub.Remove(this);
            channel.Writer.TryComplete();
        }
    }

    [LoggerMessage(LogLevel.Warning, "LISTEN job_progress connection lost; reconnecting")]
    private partial void LogListenFailed(Exception error);

    [LoggerMessage(LogLevel.Warning, "Re-reading the streamed jobs failed; retrying at the next tick")]
    private partial void LogRecheckFailed(Exception error);

    [LoggerMessage(LogLevel.Warning, "Unreadable job_progress payload: {Payload}")]
    private partial void LogBadPayload(Exception error, string payload);
}
