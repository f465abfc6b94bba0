using System.Collections.Concurrent;
using System.Text.Json;
using System.Threading.Channels;
using Npgsql;
using Platform.Core.Data;

namespace Platform.Api.Features.Jobs.Streaming;

/// <summary>A job's state change as NOTIFY <c>job_progress</c> carries it (no result: that is read on demand).</summary>
public sealed record JobNotification(Guid Id, string Status, int Progress, string? Message);

/// <summary>
/// One dedicated connection LISTENs on <c>job_progress</c> for the whole Api process and fans each notification out
/// to the streams (SSE, WebSocket) watching that job. Streams also re-read the job now and then, so a lost
/// connection delays an update but never loses the terminal state.
/// </summary>
public sealed partial class JobNotificationHub(NpgsqlDataSource dataSource, ILogger<JobNotificationHub> logger) : BackgroundService
{
    private const string Channel = "job_progress";
    private readonly ConcurrentDictionary<Guid, ConcurrentDictionary<Subscription, byte>> subscribers = new();

    /// <summary>Starts buffering notifications of a job; dispose the subscription to stop.</summary>
    public Subscription Subscribe(Guid jobId)
    {
        var subscription = new Subscription(this, jobId);
        subscribers.GetOrAdd(jobId, _ => new()).TryAdd(subscription, 0);
        return subscription;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = await dataSource.OpenConnectionAsync(stoppingToken);
                connection.Notification += OnNotification;
                await using (var listen = new NpgsqlCommand($"LISTEN {Channel}", connection))
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

    private void OnNotification(object sender, NpgsqlNotificationEventArgs e)
    {
        if (subscribers.IsEmpty)
        {
            return;
        }

        try
        {
            // One job, or (since 005) an array of the jobs one statement changed.
            using var payload = JsonDocument.Parse(e.Payload);
            if (payload.RootElement.ValueKind == JsonValueKind.Array)
            {
                foreach (var job in payload.RootElement.EnumerateArray())
                {
                    Dispatch(job);
                }
            }
            else
            {
                Dispatch(payload.RootElement);
            }
        }
        catch (Exception error) when (error is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            LogBadPayload(error, e.Payload);
        }
    }

    private void Dispatch(JsonElement root)
    {
        if (!root.TryGetProperty("id", out var idElement) || !idElement.TryGetGuid(out var id)
            || !subscribers.TryGetValue(id, out var watchers))
        {
            return;
        }

        var notification = new JobNotification(
            id,
            root.GetProperty("status").GetString()!,
            root.TryGetProperty("progress", out var progress) && progress.TryGetInt32(out var p) ? p : 0,
            root.TryGetProperty("message", out var message) && message.ValueKind == JsonValueKind.String ? message.GetString() : null);
        foreach (var watcher in watchers.Keys)
        {
            watcher.Writer.TryWrite(notification);
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
        private readonly Channel<JobNotification> channel =
            System.Threading.Channels.Channel.CreateBounded<JobNotification>(new BoundedChannelOptions(256) { FullMode = BoundedChannelFullMode.DropOldest });

        internal Subscription(JobNotificationHub hub, Guid jobId)
        {
            this.hub = hub;
            JobId = jobId;
        }

        public Guid JobId { get; }

        internal ChannelWriter<JobNotification> Writer => channel.Writer;

        public ChannelReader<JobNotification> Reader => channel.Reader;

        public void Dispose()
        {
            hub.Remove(this);
            channel.Writer.TryComplete();
        }
    }

    [LoggerMessage(LogLevel.Warning, "LISTEN job_progress connection lost; reconnecting")]
    private partial void LogListenFailed(Exception error);

    [LoggerMessage(LogLevel.Warning, "Unreadable job_progress payload: {Payload}")]
    private partial void LogBadPayload(Exception error, string payload);
}
