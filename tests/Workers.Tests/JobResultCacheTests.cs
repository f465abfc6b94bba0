using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Platform.Core.Jobs;
using Platform.Core.Jobs.Args;
using Platform.TestSupport;
using Platform.Workers.Queue;
using StackExchange.Redis;

namespace Platform.Workers.Tests;

/// <summary>Cacheable job types: the result goes to Redis, and a copy of the same work waiting in the queue is answered from it.</summary>
public class JobResultCacheTests(QueueDatabase db) : IClassFixture<QueueDatabase>
{
    [Fact]
    public async Task A_queued_copy_of_finished_work_is_answered_from_redis_without_running_again()
    {
        var redis = await TestInfrastructure.RedisAsync();
        var runs = new ConcurrentDictionary<Guid, int>();
        await using var worker = await WorkerHost.StartAsync(
            db.ConnectionString,
            s => s.AddKeyedSingleton<IJobHandler>(EchoCachedArgs.Kind, new CountingEcho(runs)),
            redis: redis.ConnectionString);
        var payload = new { question = Guid.NewGuid().ToString() };

        var first = await db.EnqueueAsync(EchoCachedArgs.Kind, payload);
        await db.WaitForStatusAsync(first.JobId, JobStatus.Completed);
        var cacheKey = (await db.GetAsync(first.JobId)).CacheKey!;
        await using (var mux = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString))
        {
            // The result reaches Redis just after the completion is committed (the two are not one transaction).
            var cached = await mux.GetDatabase().StringGetAsync(JobResultCache.Key(EchoCachedArgs.Kind, cacheKey));
            for (var wait = 0; !cached.HasValue && wait < 50; wait++)
            {
                await Task.Delay(100);
                cached = await mux.GetDatabase().StringGetAsync(JobResultCache.Key(EchoCachedArgs.Kind, cacheKey));
            }

            Assert.True(cached.HasValue);
            Assert.True(await mux.GetDatabase().KeyTimeToLiveAsync(JobResultCache.Key(EchoCachedArgs.Kind, cacheKey)) > TimeSpan.FromMinutes(9));
        }

        // A copy that was already queued (it missed the database's cache check at enqueue time).
        Guid copy;
        await using (var insert = db.DataSource.CreateCommand(
            "INSERT INTO job_queue (user_id, job_type, payload, cache_key) VALUES (@user, 'echo_cached', '{}'::jsonb, @key) RETURNING id"))
        {
            insert.Parameters.AddWithValue("user", db.UserId);
            insert.Parameters.AddWithValue("key", cacheKey);
            copy = (Guid)(await insert.ExecuteScalarAsync())!;
        }

        var answered = await db.WaitForStatusAsync(copy, JobStatus.Completed);

        Assert.Equal(payload.question, answered.Result!.Value.GetProperty("question").GetString());
        Assert.Single(runs);
        Assert.False(runs.ContainsKey(copy));
    }

    private sealed class CountingEcho(ConcurrentDictionary<Guid, int> runs) : IJobHandler
    {
        public Task<JsonNode?> HandleAsync(JobContext context, CancellationToken cancellationToken)
        {
            runs.AddOrUpdate(context.Job.Id, 1, (_, n) => n + 1);
            return Task.FromResult(JsonNode.Parse(context.Payload.GetRawText()));
        }
    }
}
