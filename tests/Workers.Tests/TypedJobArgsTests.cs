using System.Diagnostics;
using Platform.Core.Jobs;
using Platform.Core.Jobs.Args;
using Platform.TestSupport;
using Platform.Workers.Tests.Ingestion;

namespace Platform.Workers.Tests;

/// <summary>
/// Typed job args end to end against a real PostgreSQL: a payload that does not bind to its args record fails at
/// once (no retry), and the typed batch enqueue is one round trip, also for a sync's follow-up jobs.
/// </summary>
public class TypedJobArgsTests(IngestionDatabase db) : IClassFixture<IngestionDatabase>, IAsyncLifetime
{
    private FakeFeedServer server = null!;

    public async Task InitializeAsync() => server = await FakeFeedServer.StartAsync();

    public async Task DisposeAsync() => await server.DisposeAsync();

    [Theory]
    [InlineData("""{"delay_ms":"soon"}""", "payload.delay_ms must be an integer")]
    [InlineData("""{"fail_times":2.5,"progress_steps":null}""", "payload.fail_times must be an integer")]
    [InlineData("""[1,2]""", "payload must be a JSON object")]
    public async Task A_payload_that_does_not_bind_fails_permanently_on_the_first_attempt(string payload, string error)
    {
        await using var worker = await WorkerHost.StartAsync(db.ConnectionString);

        var enqueued = await db.EnqueueAsync(EchoArgs.Kind, System.Text.Json.JsonDocument.Parse(payload).RootElement, maxAttempts: 3);
        var job = await db.WaitForStatusAsync(enqueued.JobId, JobStatus.Failed);

        Assert.Equal(1, job.Attempts);
        Assert.Equal($"The echo payload does not fit: {error}", job.Error);
        Assert.Equal(["enqueued", "claimed", "failed"], await db.EventsAsync(job.Id));
    }

    [Fact]
    public async Task A_sync_without_its_account_id_fails_permanently_instead_of_syncing_no_account()
    {
        await using var workers = await db.StartWorkersAsync();

        var enqueued = await db.EnqueueAsync(SyncFeedArgs.Kind, new { }, maxAttempts: 5);
        var job = await db.WaitForStatusAsync(enqueued.JobId, JobStatus.Failed, TimeSpan.FromSeconds(60));

        Assert.Equal(1, job.Attempts);
        Assert.Equal("The sync_feed payload does not fit: payload.platform_account_id is required", job.Error);
    }

    [Fact]
    public async Task A_typed_batch_of_two_job_types_is_one_round_trip_with_each_types_policies()
    {
        var first = Guid.NewGuid();
        var second = Guid.NewGuid();
        using var statements = new SqlCommandCounter(db.ConnectionString, "create_jobs_bulk");
        using var trace = new ActivitySource("typed-batch-test").StartActivity("enqueue") ?? new Activity("enqueue").Start();

        int created;
        await using (var connection = await db.DataSource.OpenConnectionAsync())
        {
            created = await JobQueueClient.EnqueueManyAsync(
                connection,
                null,
                [new TagContentArgs([first]), new RefreshMediaArgs([first]), new TagContentArgs([second]), new RefreshMediaArgs([first, second])],
                new EnqueueOptions { UserId = db.UserId, Queue = "typed-batch" });
        }

        Assert.Equal(4, created);
        Assert.Equal(1, statements.Count);
        Assert.Equal(2, await db.CountAsync(
            """
            SELECT count(*) FROM job_queue
            WHERE queue = 'typed-batch' AND job_type = 'tag_content' AND user_id = @user
              AND max_attempts = 3 AND timeout_seconds = 300 AND trace_parent = @trace
            """,
            ("user", db.UserId), ("trace", trace.Id!)));
        Assert.Equal(2, await db.CountAsync(
            """
            SELECT count(*) FROM job_queue
            WHERE queue = 'typed-batch' AND job_type = 'refresh_media' AND max_attempts = 3 AND timeout_seconds = 600
            """));
        Assert.Equal(1, await db.CountAsync(
            "SELECT count(*) FROM job_queue WHERE queue = 'typed-batch' AND payload = jsonb_build_object('content_ids', jsonb_build_array(@a::text, @b::text))",
            ("a", first), ("b", second)));
        Assert.Equal(4, await db.CountAsync(
            "SELECT count(*) FROM job_log l JOIN job_queue j ON j.id = l.job_id WHERE j.queue = 'typed-batch' AND l.event = 'enqueued'"));
    }

    [Fact]
    public async Task A_typed_batch_keeps_its_order_in_the_ids_and_stores_default_args_as_an_empty_object()
    {
        await using (var connection = await db.DataSource.OpenConnectionAsync())
        {
            var jobs = Enumerable.Range(0, 300).Select(i => new EchoArgs(DelayMs: i)).ToArray();
            Assert.Equal(300, await JobQueueClient.EnqueueManyAsync(connection, null, jobs, new EnqueueOptions { Queue = "typed-order" }));
        }

        // In the order given, so the batch's index entries keyed by the id arrive at the right edge of each btree.
        Assert.Equal(300, await db.CountAsync(
            """
            SELECT count(*) FROM (
                SELECT coalesce((payload->>'delay_ms')::int, 0) AS delay, row_number() OVER (ORDER BY id) - 1 AS position
                FROM job_queue WHERE queue = 'typed-order') j
            WHERE j.delay = j.position
            """));
        Assert.Equal(1, await db.CountAsync("SELECT count(*) FROM job_queue WHERE queue = 'typed-order' AND payload = '{}'::jsonb"));
        Assert.Equal(300, await db.CountAsync(
            "SELECT count(*) FROM job_queue WHERE queue = 'typed-order' AND substr(id::text, 15, 1) = '7' AND abs(extract(epoch FROM created_at) * 1000 - ('x' || left(replace(id::text, '-', ''), 12))::bit(48)::bigint) < 60000"));
    }

    [Fact]
    public async Task A_sync_enqueues_the_tagging_and_media_jobs_of_its_changed_items_in_one_round_trip()
    {
        server.Documents["/batch.xml"] = new FakeDocument(
            """
            <?xml version="1.0" encoding="UTF-8"?>
            <rss version="2.0"><channel><title>Batch</title><link>https://batch.example.com/</link><description>d</description>
              <item><title>One</title><link>https://batch.example.com/1</link><description>first</description></item>
              <item><title>Two</title><link>https://batch.example.com/2</link><description>second</description></item>
              <item><title>Three</title><link>https://batch.example.com/3</link><description>third</description></item>
            </channel></rss>
            """,
            "application/rss+xml");
        var url = server.Url("/batch.xml");
        var accountId = await db.AddAccountAsync("feed", url, url: url);
        var enqueued = await db.EnqueueAsync(SyncFeedArgs.Kind, new { platform_account_id = accountId });
        using var statements = new SqlCommandCounter(db.ConnectionString, "create_job");
        await using (var workers = await db.StartWorkersAsync(new Dictionary<string, string?> { ["Workers:Queues:ingestion"] = "1" }))
        {
            await db.WaitForStatusAsync(enqueued.JobId, JobStatus.Completed, TimeSpan.FromSeconds(60));
        }

        Assert.Equal(1, statements.Count);
        Assert.Equal(2, await db.CountAsync(
            """
            SELECT count(*) FROM job_queue j
            WHERE j.job_type IN ('tag_content', 'refresh_media') AND jsonb_array_length(j.payload->'content_ids') = 3
              AND NOT EXISTS (SELECT 1 FROM jsonb_array_elements_text(j.payload->'content_ids') AS id(value)
                              WHERE NOT EXISTS (SELECT 1 FROM content_item c WHERE c.id = id.value::uuid AND c.platform_account_id = @account))
            """,
            ("account", accountId)));
    }
}
