using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Platform.Core.Ingestion;
using Platform.Core.Jobs;
using Platform.Core.Jobs.Args;
using Platform.TestSupport;
using Platform.Workers.Ingestion;
using StackExchange.Redis;

namespace Platform.Workers.Tests.Ingestion;

/// <summary>A sync that changes content publishes its creator's discovery cache tag on Redis (the Api evicts by it).</summary>
public class CacheInvalidationTests(IngestionDatabase db) : IClassFixture<IngestionDatabase>
{
    [Fact]
    public async Task A_sync_with_changes_publishes_the_creator_tag_only_and_one_without_publishes_nothing()
    {
        var redis = await TestInfrastructure.RedisAsync();
        await using var connection = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString);
        var received = new ConcurrentQueue<string>();
        await connection.GetSubscriber().SubscribeAsync(RedisChannel.Literal(DiscoveryInvalidation.Channel), (_, message) => received.Enqueue(message!));

        var channelId = db.YouTube.AddChannel("@cached", 3);
        var accountId = await db.AddAccountAsync("youtube", channelId);
        await using var workers = await WorkerHost.StartAsync(
            db.ConnectionString,
            services =>
            {
                services.AddContentIngestion();
                services.AddSingleton<IConnectionMultiplexer>(connection);
            },
            new Dictionary<string, string?>
            {
                ["YouTube:ApiKey"] = FakeYouTube.ApiKey,
                ["YouTube:ApiBase"] = db.YouTube.ApiBase,
                ["Workers:Queues:ingestion"] = "1",
            });

        var first = await db.EnqueueAsync(SyncYouTubeArgs.Kind, new { platform_account_id = accountId });
        await db.WaitForStatusAsync(first.JobId, JobStatus.Completed);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!received.Contains($"creator:{db.UserId}") && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        // Only the creator's scoped tag: the Api evicts that creator's pages and flushes lists debounced; the global
        // content tag (every list at once on every replica) is not published by a sync.
        Assert.Contains(DiscoveryInvalidation.CreatorTag(db.UserId), received);
        Assert.Equal($"creator:{db.UserId}", DiscoveryInvalidation.CreatorTag(db.UserId));
        Assert.DoesNotContain(Platform.Core.Discovery.DiscoveryCacheTags.Content, received);

        // Let the follow-up jobs finish (they publish too), then a sync that changes nothing publishes nothing.
        while (await db.CountAsync("SELECT count(*) FROM job_queue WHERE status IN ('pending', 'processing')") > 0)
        {
            Assert.True(DateTime.UtcNow < deadline.AddSeconds(20), "the follow-up jobs did not finish");
            await Task.Delay(50);
        }

        await Task.Delay(200);
        received.Clear();
        var second = await db.EnqueueAsync(SyncYouTubeArgs.Kind, new { platform_account_id = accountId });
        await db.WaitForStatusAsync(second.JobId, JobStatus.Completed);
        await Task.Delay(300);
        Assert.Empty(received);
    }
}
