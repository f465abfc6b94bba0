using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Platform.Core.Ingestion;
using Platform.Core.Jobs;
using Platform.TestSupport;
using Platform.Workers.Ingestion;
using StackExchange.Redis;

namespace Platform.Workers.Tests.Ingestion;

/// <summary>A sync that changes content publishes the discovery cache tags on Redis (the Api evicts by them).</summary>
public class CacheInvalidationTests(IngestionDatabase db) : IClassFixture<IngestionDatabase>
{
    [Fact]
    public async Task A_sync_with_changes_publishes_content_and_creator_tags_and_one_without_publishes_nothing()
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

        var first = await db.EnqueueAsync(JobTypes.SyncYouTube, new { platform_account_id = accountId });
        await db.WaitForStatusAsync(first.JobId, JobStatus.Completed);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!received.Contains($"creator:{db.UserId}") && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        Assert.Contains(Platform.Core.Discovery.DiscoveryCacheTags.Content, received); // the tag the Api drops
        Assert.Contains($"creator:{db.UserId}", received);

        // Let the follow-up jobs finish (they publish too), then a sync that changes nothing publishes nothing.
        while (await db.CountAsync("SELECT count(*) FROM job_queue WHERE status IN ('pending', 'processing')") > 0)
        {
            Assert.True(DateTime.UtcNow < deadline.AddSeconds(20), "the follow-up jobs did not finish");
            await Task.Delay(50);
        }

        await Task.Delay(200);
        received.Clear();
        var second = await db.EnqueueAsync(JobTypes.SyncYouTube, new { platform_account_id = accountId });
        await db.WaitForStatusAsync(second.JobId, JobStatus.Completed);
        await Task.Delay(300);
        Assert.Empty(received);
    }
}
