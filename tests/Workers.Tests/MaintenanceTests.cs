using Microsoft.Extensions.DependencyInjection;
using Platform.Core.Jobs;
using Platform.Core.Jobs.Args;
using Platform.Workers.Queue.Maintenance;

namespace Platform.Workers.Tests;

/// <summary>
/// The queue's maintenance schedules: finished jobs older than <c>Workers:JobRetention</c> are deleted with their
/// <c>job_log</c> rows (recent and unfinished ones are kept), expired <c>query_cache</c> rows are purged, each by one
/// replica per tick.
/// </summary>
public sealed class MaintenanceTests(QueueDatabase db) : IClassFixture<QueueDatabase>
{
    private static readonly Dictionary<string, string?> Schedules = new()
    {
        ["Workers:JobRetention"] = "30.00:00:00",
        ["Workers:JobRetentionInterval"] = "00:00:00.200",
        ["Workers:JobRetentionBatchSize"] = "2",
        ["Workers:QueryCachePurgeInterval"] = "00:00:00.200",
    };

    [Fact]
    public async Task The_workers_delete_finished_jobs_past_retention_with_their_log_and_keep_recent_and_unfinished_ones()
    {
        await using var worker = await WorkerHost.StartAsync(db.ConnectionString, settings: Schedules);
        var old = new List<Guid>();
        for (var i = 0; i < 5; i++)
        {
            old.Add((await db.EnqueueAsync(EchoArgs.Kind, new { n = i, tag = "old" })).JobId);
        }

        var failed = (await db.EnqueueAsync(EchoArgs.Kind, new { fail_times = 10, tag = "old-failed" }, maxAttempts: 1)).JobId;
        var recent = (await db.EnqueueAsync(EchoArgs.Kind, new { tag = "recent" })).JobId;
        foreach (var id in old.Append(recent))
        {
            await db.WaitForStatusAsync(id, JobStatus.Completed);
        }

        await db.WaitForStatusAsync(failed, JobStatus.Failed);
        old.Add(failed);
        await worker.StopAsync(); // nothing may delete them before they are made old
        var oldList = string.Join("','", old);
        Assert.True(await db.ScalarAsync<long>($"SELECT count(*) FROM job_log WHERE job_id IN ('{oldList}')") >= 6);
        await db.ScalarAsync<int>(
            $"UPDATE job_queue SET created_at = now() - interval '40 days', completed_at = now() - interval '31 days' WHERE id IN ('{oldList}')");
        // Old, but never finished: a job scheduled far ahead, created 40 days ago.
        var waiting = (await db.EnqueueAsync(EchoArgs.Kind, new { tag = "waiting" })).JobId;
        await db.ScalarAsync<int>($"UPDATE job_queue SET created_at = now() - interval '40 days', run_at = now() + interval '1 day' WHERE id = '{waiting}'");

        await using var next = await WorkerHost.StartAsync(db.ConnectionString, settings: Schedules);
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (await db.ScalarAsync<long>($"SELECT count(*) FROM job_queue WHERE id IN ('{oldList}')") > 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }

        Assert.Equal(0L, await db.ScalarAsync<long>($"SELECT count(*) FROM job_queue WHERE id IN ('{oldList}')"));
        Assert.Equal(0L, await db.ScalarAsync<long>($"SELECT count(*) FROM job_log WHERE job_id IN ('{oldList}')"));
        Assert.Equal(2L, await db.ScalarAsync<long>($"SELECT count(*) FROM job_queue WHERE id IN ('{recent}', '{waiting}')"));
        Assert.True(await db.ScalarAsync<long>($"SELECT count(*) FROM job_log WHERE job_id = '{recent}'") > 0);
        Assert.Equal(0L, await db.ScalarAsync<long>($"SELECT count(*) FROM job_queue WHERE id = '{waiting}' AND status <> 'pending'"));
    }

    [Fact]
    public async Task Only_one_replica_runs_a_tick_the_others_skip_it()
    {
        await using var worker = await WorkerHost.StartAsync(db.ConnectionString, settings: new Dictionary<string, string?>
        {
            ["Workers:JobRetentionInterval"] = "00:00:00", // disabled: this test runs the tick itself
        });
        var id = (await db.EnqueueAsync(EchoArgs.Kind, new { tag = "locked" })).JobId;
        await db.WaitForStatusAsync(id, JobStatus.Completed);
        await db.ScalarAsync<int>(
            $"UPDATE job_queue SET created_at = now() - interval '40 days', completed_at = now() - interval '31 days' WHERE id = '{id}'");
        var retention = worker.Services.GetRequiredService<JobRetention>();

        await using (var other = await db.DataSource.OpenConnectionAsync())
        await using (var transaction = await other.BeginTransactionAsync())
        {
            await using var hold = new Npgsql.NpgsqlCommand($"SELECT pg_advisory_xact_lock({JobRetention.Key})", other, transaction);
            await hold.ExecuteNonQueryAsync();

            Assert.Equal(0, await retention.RunOnceAsync(CancellationToken.None));
            Assert.Equal(1L, await db.ScalarAsync<long>($"SELECT count(*) FROM job_queue WHERE id = '{id}'"));
        }

        Assert.True(await retention.RunOnceAsync(CancellationToken.None) >= 1);
        Assert.Equal(0L, await db.ScalarAsync<long>($"SELECT count(*) FROM job_queue WHERE id = '{id}'"));
    }

    [Fact]
    public async Task A_retention_of_zero_disables_the_cleanup_instead_of_deleting_every_finished_job()
    {
        await using var worker = await WorkerHost.StartAsync(db.ConnectionString, settings: new Dictionary<string, string?>
        {
            ["Workers:JobRetention"] = "00:00:00",
            ["Workers:JobRetentionInterval"] = "00:00:00.100",
        });
        var id = (await db.EnqueueAsync(EchoArgs.Kind, new { tag = "zero" })).JobId;
        await db.WaitForStatusAsync(id, JobStatus.Completed);

        await Task.Delay(1000); // ten ticks

        Assert.Equal(1L, await db.ScalarAsync<long>($"SELECT count(*) FROM job_queue WHERE id = '{id}'"));
    }

    [Theory]
    [InlineData("JobRetention", "-1.00:00:00")] // negative: was silently disabled
    [InlineData("JobRetention", "abc")]
    [InlineData("JobRetentionInterval", "-00:00:01")]
    [InlineData("JobRetentionBatchSize", "0")] // was a tick that never ended (0 rows is never "fewer than 0")
    [InlineData("JobRetentionBatchSize", "-5")] // was "LIMIT must not be negative" logged at every tick
    [InlineData("QueryCachePurgeInterval", "-00:05:00")]
    [InlineData("RescueInterval", "00:00:00")] // a periodic task with no interval is off: never for the rescue
    public async Task An_absurd_retention_setting_fails_at_startup_naming_the_setting(string key, string value)
    {
        Exception? error = null;
        try
        {
            await using var worker = await WorkerHost.StartAsync(db.ConnectionString, settings: new Dictionary<string, string?>
            {
                [$"Workers:{key}"] = value,
            });
        }
        catch (Exception startup)
        {
            error = startup;
        }

        Assert.NotNull(error);
        Assert.Contains(key, error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Expired_query_cache_rows_are_purged_and_live_ones_kept()
    {
        await db.ScalarAsync<object>("SELECT cache_set('maintenance:expired', '{\"a\":1}', 60)");
        await db.ScalarAsync<object>("SELECT cache_set('maintenance:live', '{\"a\":2}', 3600)");
        await db.ScalarAsync<int>("UPDATE query_cache SET expires_at = now() - interval '1 second' WHERE cache_key = 'maintenance:expired'");

        await using var worker = await WorkerHost.StartAsync(db.ConnectionString, settings: Schedules);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (await db.ScalarAsync<long>("SELECT count(*) FROM query_cache WHERE cache_key = 'maintenance:expired'") > 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }

        Assert.Equal(0L, await db.ScalarAsync<long>("SELECT count(*) FROM query_cache WHERE cache_key = 'maintenance:expired'"));
        Assert.Equal(1L, await db.ScalarAsync<long>("SELECT count(*) FROM query_cache WHERE cache_key = 'maintenance:live'"));
    }
}
