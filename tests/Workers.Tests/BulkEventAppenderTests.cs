using Marten;
using Platform.Core.Audit;
using Platform.TestSupport;
using Platform.Workers.Audit;

namespace Platform.Workers.Tests;

/// <summary>
/// The projector's one-statement append writes what Marten's own append would: Marten reads the streams back with
/// their types, bodies and versions, and Marten's appends and ours continue each other's versions.
/// </summary>
public class BulkEventAppenderTests(MigratedDatabase db) : IClassFixture<MigratedDatabase>, IDisposable
{
    private readonly DocumentStore store = DocumentStore.For(options =>
    {
        options.Connection(db.ConnectionString);
        AuditStore.Configure(options);
    });

    public void Dispose()
    {
        store.Dispose();
        GC.SuppressFinalize(this);
    }

    private async Task AppendAsync(IReadOnlyList<(Guid, object)> events, bool commit = true)
    {
        await using var connection = await db.DataSource.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await new BulkEventAppender(store).AppendAsync(connection, transaction, events, CancellationToken.None);
        if (commit)
        {
            await transaction.CommitAsync();
        }
    }

    private static T Event<T>(Guid job, long logId, string? worker = null)
        where T : JobAuditEvent, new() =>
        new() { JobId = job, LogId = logId, At = DateTimeOffset.UtcNow, Status = "processing", Attempt = 1, WorkerId = worker };

    [Fact]
    public async Task Streams_read_back_through_Marten_in_order_and_versions_continue_across_both_appenders()
    {
        var a = Guid.NewGuid();
        var b = Guid.NewGuid();
        var enqueued = Event<JobEnqueued>(a, 1);
        enqueued.JobType = "echo";
        enqueued.Queue = "default";
        enqueued.UserId = Guid.NewGuid();
        await AppendAsync([(a, enqueued), (b, Event<JobEnqueued>(b, 2)), (a, Event<JobClaimed>(a, 3, "w-1"))]);

        await using (var session = store.LightweightSession())
        {
            session.Events.Append(a, Event<JobSucceeded>(a, 4, "w-1"));
            await session.SaveChangesAsync(); // Marten's own append: version 3, no conflict with ours
        }

        await AppendAsync([(a, Event<JobRescued>(a, 5))]);
        await AppendAsync([(b, Event<JobClaimed>(b, 6))], commit: false); // rolled back: leaves nothing

        await using var query = store.QuerySession();
        var streamA = await query.Events.FetchStreamAsync(a);
        Assert.Equal([1L, 2, 3, 4], streamA.Select(e => e.Version));
        Assert.Equal([typeof(JobEnqueued), typeof(JobClaimed), typeof(JobSucceeded), typeof(JobRescued)], streamA.Select(e => e.Data.GetType()));
        Assert.Equal([1L, 3, 4, 5], streamA.Select(e => ((JobAuditEvent)e.Data).LogId));
        var first = Assert.IsType<JobEnqueued>(streamA[0].Data);
        Assert.Equal(("echo", "default", enqueued.UserId), (first.JobType, first.Queue, first.UserId));
        Assert.Equal("w-1", ((JobClaimed)streamA[1].Data).WorkerId);
        Assert.True(streamA.Zip(streamA.Skip(1)).All(p => p.First.Sequence < p.Second.Sequence));
        Assert.Equal(4L, (await query.Events.FetchStreamStateAsync(a))!.Version);

        var streamB = await query.Events.FetchStreamAsync(b);
        Assert.Equal(2L, ((JobAuditEvent)Assert.Single(streamB).Data).LogId);
        Assert.Equal(1L, (await query.Events.FetchStreamStateAsync(b))!.Version);
    }
}
