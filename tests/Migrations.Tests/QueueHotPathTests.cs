using System.Text.Json;
using Npgsql;
using Platform.TestSupport;

namespace Platform.Migrations.Tests;

/// <summary>
/// What 008 changed on the queue's hot path: UUIDv7 ids, the job log's cascade without a foreign key, the indexes the
/// planner may pick for claims, and state-change notifications sent by the batch functions themselves.
/// </summary>
public class QueueHotPathTests(MigratedDatabase db) : IClassFixture<MigratedDatabase>
{
    private async Task<List<Guid>> CreateJobsAsync(string queue, int count, int priority = 0, string runAt = "now()", Guid? owner = null)
    {
        await using var command = db.DataSource.CreateCommand(
            $"SELECT c.id FROM generate_series(1, @count) g, LATERAL create_job(@owner, 'echo', jsonb_build_object('n', g), p_queue => @queue, p_priority => @priority, p_run_at => {runAt}) c");
        command.Parameters.AddWithValue("owner", NpgsqlTypes.NpgsqlDbType.Uuid, (object?)owner ?? DBNull.Value);
        command.Parameters.AddWithValue("queue", queue);
        command.Parameters.AddWithValue("priority", priority);
        command.Parameters.AddWithValue("count", count);
        var ids = new List<Guid>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            ids.Add(reader.GetGuid(0));
        }

        return ids;
    }

    private async Task<Guid[]> ClaimAsync(string queue, string worker, int limit)
    {
        await using var command = db.DataSource.CreateCommand("SELECT array_agg(id) FROM claim_jobs(@queue, @worker, @limit, 30)");
        command.Parameters.AddWithValue("queue", queue);
        command.Parameters.AddWithValue("worker", worker);
        command.Parameters.AddWithValue("limit", limit);
        return await command.ExecuteScalarAsync() as Guid[] ?? [];
    }

    private async Task<int> CompleteAsync(string worker, Guid[] ids)
    {
        await using var command = db.DataSource.CreateCommand("SELECT complete_jobs(@worker, @ids, NULL)");
        command.Parameters.AddWithValue("worker", worker);
        command.Parameters.AddWithValue("ids", ids);
        return (int)(await command.ExecuteScalarAsync())!;
    }

    [Fact]
    public async Task Job_ids_are_version_7_uuids_in_creation_order()
    {
        var ids = new List<Guid>();
        for (var i = 0; i < 3; i++)
        {
            ids.AddRange(await CreateJobsAsync("v7", 1));
            await Task.Delay(3);
        }

        Assert.All(ids, id => Assert.Equal('7', id.ToString()[14]));
        Assert.All(ids, id => Assert.Contains(id.ToString()[19], "89ab")); // RFC 9562 variant
        var ordered = await db.ScalarAsync<Guid[]>(
            $"SELECT array_agg(id ORDER BY id) FROM job_queue WHERE id IN ('{string.Join("','", ids)}')");
        Assert.Equal(ids, ordered);
    }

    [Fact]
    public async Task Deleting_jobs_deletes_their_log_and_retention_keeps_recent_and_unfinished_jobs()
    {
        var old = await CreateJobsAsync("retention", 3);
        var recent = await CreateJobsAsync("retention", 1);
        var running = await CreateJobsAsync("retention", 1, runAt: "now() + interval '1 hour'");
        Assert.Equal(3, await CompleteAsync("w-retention", await ClaimAsync("retention", "w-retention", 3)));
        Assert.Equal(1, await CompleteAsync("w-retention", await ClaimAsync("retention", "w-retention", 1)));
        var oldList = string.Join("','", old);
        await db.ScalarAsync<int>(
            $"UPDATE job_queue SET created_at = now() - interval '40 days', completed_at = now() - interval '39 days' WHERE id IN ('{oldList}')");
        await db.ScalarAsync<int>($"UPDATE job_queue SET created_at = now() - interval '40 days' WHERE id = '{running[0]}'");
        Assert.Equal(9L, await db.ScalarAsync<long>($"SELECT count(*) FROM job_log WHERE job_id IN ('{oldList}')"));

        Assert.Equal(3, await db.ScalarAsync<int>("SELECT cleanup_old_jobs(interval '30 days', 100)"));

        Assert.Equal(0L, await db.ScalarAsync<long>($"SELECT count(*) FROM job_queue WHERE id IN ('{oldList}')"));
        Assert.Equal(0L, await db.ScalarAsync<long>($"SELECT count(*) FROM job_log WHERE job_id IN ('{oldList}')"));
        Assert.Equal(2L, await db.ScalarAsync<long>($"SELECT count(*) FROM job_queue WHERE id IN ('{recent[0]}', '{running[0]}')"));
        Assert.Equal(3L, await db.ScalarAsync<long>($"SELECT count(*) FROM job_log WHERE job_id = '{recent[0]}'"));
        Assert.Equal(0, await db.ScalarAsync<int>("SELECT cleanup_old_jobs(interval '30 days', 100)"));
    }

    [Fact]
    public async Task The_next_due_job_is_found_across_priorities()
    {
        Assert.Null(await db.ScalarAsync<DateTime?>("SELECT next_job_due_at('due')"));
        await CreateJobsAsync("due", 2, priority: 5, runAt: "now() + interval '2 hours'");
        await CreateJobsAsync("due", 1, priority: -3, runAt: "now() + interval '10 minutes'");
        await CreateJobsAsync("due", 2, priority: 0, runAt: "now() + interval '1 hour'");

        var minutes = await db.ScalarAsync<double>("SELECT (extract(epoch FROM next_job_due_at('due') - now()) / 60)::float8");

        Assert.InRange(minutes, 9.5, 10.01);
        var stats = await db.ScalarAsync<long>("SELECT count FROM job_queue_stats(false) WHERE queue = 'due' AND status = 'pending'");
        Assert.Equal(5L, stats);
    }

    /// <summary>
    /// After a bulk enqueue the statistics still describe an empty queue; the claim must still walk the claim index in
    /// order and stop after its batch, not sort every pending job (what made a freshly filled queue drain slowly).
    /// </summary>
    [Fact]
    public async Task A_claim_reads_the_claim_index_in_order_even_with_stale_statistics()
    {
        await using var connection = await db.DataSource.OpenConnectionAsync();
        await using (var analyze = new NpgsqlCommand("ANALYZE job_queue", connection))
        {
            await analyze.ExecuteNonQueryAsync();
        }

        await using (var bulk = new NpgsqlCommand(
            "SELECT create_jobs_bulk(NULL, 'echo', array_agg('{}'::jsonb), 'stale') FROM generate_series(1, 20000)", connection))
        {
            await bulk.ExecuteNonQueryAsync();
        }

        var plans = await AutoExplain.EnableAsync(connection);
        await using (var claimJobs = new NpgsqlCommand("SELECT count(*) FROM claim_jobs('stale', 'w-stale', 500, 30)", connection))
        {
            await claimJobs.ExecuteNonQueryAsync();
        }

        var claim = Assert.Single(plans, p => p.Contains("FOR NO KEY UPDATE SKIP LOCKED", StringComparison.Ordinal));
        Assert.Contains("Index Scan using idx_job_queue_claim", claim, StringComparison.Ordinal);
        Assert.DoesNotContain("Sort", claim.Split("Update on job_queue")[0].Split("candidates")[^1], StringComparison.Ordinal);
        Assert.Equal(500L, await db.ScalarAsync<long>("SELECT count(*) FROM job_queue WHERE queue = 'stale' AND status = 'processing'"));
    }

    /// <summary>
    /// Once statistics know the table is large, a join of the claim's candidates to job_queue was planned as a hash
    /// join over a sequential scan of every row, finished jobs included (031): the update must probe the primary key.
    /// </summary>
    [Fact]
    public async Task A_claim_updates_its_candidates_through_the_primary_key_in_a_large_table()
    {
        await using var connection = await db.DataSource.OpenConnectionAsync();
        await using (var fill = new NpgsqlCommand(
            """
            SELECT create_jobs_bulk(NULL, 'echo', array_agg('{}'::jsonb), 'large') FROM generate_series(1, 20000);
            ANALYZE job_queue;
            """, connection))
        {
            await fill.ExecuteNonQueryAsync();
        }

        var plans = await AutoExplain.EnableAsync(connection);
        await using (var claimJobs = new NpgsqlCommand("SELECT count(*) FROM claim_jobs('large', 'w-large', 500, 30)", connection))
        {
            await claimJobs.ExecuteNonQueryAsync();
        }

        var claim = Assert.Single(plans, p => p.Contains("FOR NO KEY UPDATE SKIP LOCKED", StringComparison.Ordinal));
        var update = claim[claim.IndexOf("Update on job_queue", StringComparison.Ordinal)..];
        Assert.DoesNotContain("Seq Scan on job_queue", update, StringComparison.Ordinal);
        Assert.Contains("Index Scan using job_queue_pkey", update, StringComparison.Ordinal);
        Assert.Equal(500L, await db.ScalarAsync<long>("SELECT count(*) FROM job_queue WHERE queue = 'large' AND status = 'processing'"));
    }

    [Fact]
    public async Task Batch_functions_notify_in_arrays_of_16_and_single_changes_notify_one_object()
    {
        var owner = await db.ScalarAsync<Guid>("INSERT INTO users (id) VALUES (gen_random_uuid()) RETURNING id");
        await CreateJobsAsync("notify", 20, owner: owner);
        await using var listener = await db.DataSource.OpenConnectionAsync();
        var payloads = new List<string>();
        listener.Notification += (_, e) => payloads.Add(e.Payload);
        await using (var listen = new NpgsqlCommand("LISTEN job_progress", listener))
        {
            await listen.ExecuteNonQueryAsync();
        }

        async Task<List<JsonElement>> DrainAsync()
        {
            while (await listener.WaitAsync(TimeSpan.FromMilliseconds(300)))
            {
            }

            var changes = payloads.Select(p => JsonDocument.Parse(p).RootElement).ToList();
            payloads.Clear();
            return changes;
        }

        var claimed = await ClaimAsync("notify", "w-notify", 20);
        var onClaim = await DrainAsync();
        Assert.Equal([16, 4], onClaim.Select(n => n.GetArrayLength()));
        Assert.All(onClaim.SelectMany(n => n.EnumerateArray()), c => Assert.Equal("processing", c.GetProperty("status").GetString()));
        Assert.All(onClaim.SelectMany(n => n.EnumerateArray()), c => Assert.Equal(owner, c.GetProperty("user_id").GetGuid()));
        Assert.Equal(claimed.Order(), onClaim.SelectMany(n => n.EnumerateArray()).Select(c => c.GetProperty("id").GetGuid()).Order());

        await db.ScalarAsync<long>($"SELECT count(*) FROM heartbeat_jobs('w-notify', ARRAY['{string.Join("','", claimed)}']::uuid[], 30)");
        Assert.Empty(await DrainAsync());

        await db.ScalarAsync<int>($"UPDATE job_queue SET cancel_requested = true WHERE id = '{claimed[0]}'");
        var onCancel = Assert.Single(await DrainAsync());
        Assert.Equal(JsonValueKind.Object, onCancel.ValueKind);
        Assert.True(onCancel.GetProperty("cancel_requested").GetBoolean());

        Assert.Equal(20, await CompleteAsync("w-notify", claimed));
        var onComplete = await DrainAsync();
        Assert.Equal([16, 4], onComplete.Select(n => n.GetArrayLength()));
        Assert.All(onComplete.SelectMany(n => n.EnumerateArray()), c => Assert.Equal("completed", c.GetProperty("status").GetString()));
    }

    /// <summary>
    /// Changed deliberately by 031 (the lead's decision on issue 14): a claim or completion of a job without an owner
    /// (user_id NULL: schedules, syncs, webhooks) sends nothing on job_progress. Its readers are the owner's live
    /// streams (which never serve a job without an owner: RLS) and the Workers' cancel watch (fed by cancel_job()'s row
    /// change, which still notifies, as do release, rescue and failure). In a batch of owned and system jobs only the
    /// owned ones are sent.
    /// </summary>
    [Fact]
    public async Task Claims_and_completions_of_jobs_without_an_owner_do_not_notify()
    {
        var owner = await db.ScalarAsync<Guid>("INSERT INTO users (id) VALUES (gen_random_uuid()) RETURNING id");
        var system = await CreateJobsAsync("notify-system", 3);
        var owned = await CreateJobsAsync("notify-system", 2, owner: owner);
        await using var listener = await db.DataSource.OpenConnectionAsync();
        var payloads = new List<string>();
        listener.Notification += (_, e) => payloads.Add(e.Payload);
        await using (var listen = new NpgsqlCommand("LISTEN job_progress", listener))
        {
            await listen.ExecuteNonQueryAsync();
        }

        async Task<List<Guid>> DrainIdsAsync()
        {
            while (await listener.WaitAsync(TimeSpan.FromMilliseconds(300)))
            {
            }

            var ids = payloads.SelectMany(p => JsonDocument.Parse(p).RootElement.EnumerateArray())
                .Select(c => c.GetProperty("id").GetGuid()).ToList();
            payloads.Clear();
            return ids;
        }

        var claimed = await ClaimAsync("notify-system", "w-system", 10);
        Assert.Equal(system.Concat(owned).Order(), claimed.Order());
        Assert.Equal(owned.Order(), (await DrainIdsAsync()).Order());

        Assert.Equal(5, await CompleteAsync("w-system", claimed));
        Assert.Equal(owned.Order(), (await DrainIdsAsync()).Order());

        // Only system jobs in the batch: no notification at all.
        var onlySystem = await CreateJobsAsync("notify-system", 2);
        var claimedSystem = await ClaimAsync("notify-system", "w-system", 10);
        Assert.Equal(onlySystem.Order(), claimedSystem.Order());
        Assert.Equal(2, await CompleteAsync("w-system", claimedSystem));
        Assert.Empty(await DrainIdsAsync());
        Assert.Equal(10L, await db.ScalarAsync<long>(
            $"SELECT count(*) FROM job_log WHERE job_id IN ('{string.Join("','", system.Concat(onlySystem))}') AND event IN ('claimed', 'completed')"));
    }
}
