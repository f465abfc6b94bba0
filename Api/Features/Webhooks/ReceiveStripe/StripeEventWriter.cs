using System.Threading.Channels;
using Microsoft.Extensions.Options;
using Npgsql;
using Platform.Core.Billing;
using Platform.Core.Data;

namespace Platform.Api.Features.Webhooks.ReceiveStripe;

/// <summary>
/// Group commit for the webhook receiver: verified events from concurrent requests wait in a bounded queue
/// (<see cref="StripeOptions.WebhookQueueCapacity"/>), and one writer stores whatever has arrived, up to
/// <see cref="StripeOptions.WebhookMaxBatch"/> events, with ONE statement, one transaction and one round trip
/// (<see cref="StripeWebhookStore.RecordBatchAsync"/>: <c>record_stripe_webhooks</c> inserts the event rows, their jobs,
/// job log and audit rows set-based and sends one wake-up NOTIFY for the batch). Each request's task completes only
/// after its batch committed (fsync and synchronous_commit as the server has them), so a 200 still means the event and
/// its job are durable, and it learns whether its event was new or a duplicate.
/// <list type="bullet">
/// <item>A batch is all or nothing. When the database is unavailable (<see cref="DatabaseOutage.IsOutage"/>) every
/// request of the batch fails with that error (503 + <c>Retry-After</c>); nothing of it was stored.</item>
/// <item>Any other failure (an event the database refuses) is retried one event per transaction, so a single bad
/// event fails only its own request.</item>
/// <item>A request whose client went away stops waiting, but its event is still written if it was queued: the
/// next delivery of it is a duplicate, which changes nothing.</item>
/// <item>On shutdown the queue stops taking events (503) and the writer stores everything already queued before it
/// ends (bounded by the host's shutdown timeout).</item>
/// </list>
/// </summary>
public sealed partial class StripeEventWriter : IHostedService
{
    private readonly Channel<Pending> queue;
    private readonly NpgsqlDataSource dataSource;
    private readonly int maxBatch;
    private readonly ILogger logger;
    private Task? loop;

    public StripeEventWriter(NpgsqlDataSource dataSource, IOptions<StripeOptions> options, ILogger<StripeEventWriter> logger)
        : this(dataSource, options.Value.WebhookQueueCapacity, options.Value.WebhookMaxBatch, logger)
    {
    }

    /// <param name="capacity">events that may wait (at least 1).</param>
    /// <param name="maxBatch">most events per transaction (at least 1).</param>
    public StripeEventWriter(NpgsqlDataSource dataSource, int capacity, int maxBatch, ILogger logger)
    {
        this.dataSource = dataSource;
        this.maxBatch = Math.Max(1, maxBatch);
        this.logger = logger;
        queue = Channel.CreateBounded<Pending>(new BoundedChannelOptions(Math.Max(1, capacity))
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait, // TryWrite answers false when full: the caller sheds the request
        });
    }

    /// <summary>
    /// Queues <paramref name="item"/> for the next batch. Returns the task that completes once its batch committed (or
    /// fails with the batch's error), or null when the queue is full or the writer is stopping: answer 503 then.
    /// </summary>
    public Task<RecordedStripeEvent>? TryRecord(StripeEventToRecord item)
    {
        var pending = new Pending(item, new TaskCompletionSource<RecordedStripeEvent>(TaskCreationOptions.RunContinuationsAsynchronously));
        return queue.Writer.TryWrite(pending) ? pending.Completion.Task : null;
    }

    /// <summary>Stops taking events; the writer then stores what is queued and ends.</summary>
    public void Complete() => queue.Writer.TryComplete();

    /// <summary>Starts the writer loop (not tied to any token: it ends when the queue is completed and drained).</summary>
    public Task StartAsync(CancellationToken cancellationToken)
    {
        loop ??= Task.Run(RunAsync, CancellationToken.None);
        return Task.CompletedTask;
    }

    /// <summary>Completes the queue and waits until everything queued is written (or the host stops waiting).</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        Complete();
        if (loop is not null)
        {
            await loop.WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    private async Task RunAsync()
    {
        var batch = new List<Pending>(maxBatch);
        while (await queue.Reader.WaitToReadAsync())
        {
            batch.Clear();
            while (batch.Count < maxBatch && queue.Reader.TryRead(out var pending))
            {
                batch.Add(pending);
            }

            await WriteAsync(batch);
        }
    }

    private async Task WriteAsync(List<Pending> batch)
    {
        try
        {
            var results = await StripeWebhookStore.RecordBatchAsync(dataSource, batch.ConvertAll(p => p.Item));
            for (var i = 0; i < batch.Count; i++)
            {
                batch[i].Completion.TrySetResult(results[i]);
            }
        }
        catch (Exception error) when (batch.Count > 1 && !DatabaseOutage.IsOutage(error))
        {
            LogBatchRefused(batch.Count, error.GetBaseException().Message);
            foreach (var pending in batch)
            {
                try
                {
                    pending.Completion.TrySetResult((await StripeWebhookStore.RecordBatchAsync(dataSource, [pending.Item]))[0]);
                }
                catch (Exception single)
                {
                    pending.Completion.TrySetException(single);
                }
            }
        }
        catch (Exception error)
        {
            foreach (var pending in batch)
            {
                pending.Completion.TrySetException(error);
            }
        }
    }

    private sealed record Pending(StripeEventToRecord Item, TaskCompletionSource<RecordedStripeEvent> Completion);

    [LoggerMessage(LogLevel.Warning, "A batch of {Count} Stripe events was refused ({Reason}); storing them one by one")]
    private partial void LogBatchRefused(int count, string reason);
}
