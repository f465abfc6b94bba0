using Npgsql;
using Platform.TestSupport;

namespace Platform.Migrations.Tests;

/// <summary>
/// complete_jobs() (026): each id of the batch is found through the primary key, so the statement is linear in the
/// batch even when the statistics know nothing of the worker's held jobs (ANALYZE sees locked_by NULL on almost every
/// row, which made the planner loop over held jobs x batch).
/// </summary>
public class CompleteJobsTests(MigratedDatabase db) : IClassFixture<MigratedDatabase>
{
    [Fact]
    public async Task A_batch_is_completed_by_primary_key_probes_even_with_statistics_that_know_no_held_job()
    {
        await using var connection = await db.DataSource.OpenConnectionAsync();
        await using (var fill = new NpgsqlCommand(
            """
            SELECT create_jobs_bulk(NULL, 'echo', array_agg('{}'::jsonb), 'complete-plan') FROM generate_series(1, 5000);
            ANALYZE job_queue;
            """, connection))
        {
            await fill.ExecuteNonQueryAsync();
        }

        var held = await db.ScalarAsync<Guid[]>("SELECT array_agg(id) FROM claim_jobs('complete-plan', 'w-plan', 1000, 30)");
        var other = await db.ScalarAsync<Guid[]>("SELECT array_agg(id) FROM claim_jobs('complete-plan', 'w-other', 1, 30)");
        // The batch: every held job with its result, plus one job held by another worker (must stay untouched).
        Guid[] ids = [.. held!, other![0]];
        var results = ids.Select((_, i) => $$"""{"n": {{i}}}""").ToArray();

        var plans = await AutoExplain.EnableAsync(connection);
        int completed;
        await using (var complete = new NpgsqlCommand("SELECT complete_jobs('w-plan', @ids, @results::jsonb[])", connection))
        {
            complete.Parameters.AddWithValue("ids", ids);
            complete.Parameters.AddWithValue("results", results);
            completed = (int)(await complete.ExecuteScalarAsync())!;
        }

        var plan = Assert.Single(plans, p => p.Contains("Update on job_queue", StringComparison.Ordinal));
        Assert.DoesNotContain("Join Filter", plan, StringComparison.Ordinal);
        Assert.Contains("Index Scan using job_queue_pkey", plan, StringComparison.Ordinal);
        Assert.DoesNotContain("idx_job_queue_lease_expiry", plan, StringComparison.Ordinal);

        Assert.Equal(1000, completed);
        Assert.Equal(1000L, await db.ScalarAsync<long>(
            "SELECT count(*) FROM job_queue WHERE queue = 'complete-plan' AND status = 'completed' AND locked_by IS NULL"));
        Assert.Equal(1000L, await db.ScalarAsync<long>(
            $"SELECT count(*) FROM job_queue j JOIN unnest('{{{string.Join(',', ids)}}}'::uuid[]) WITH ORDINALITY AS t(id, n) ON t.id = j.id WHERE (j.result ->> 'n')::int = t.n - 1"));
        Assert.Equal("processing", await db.ScalarAsync<string>($"SELECT status FROM job_queue WHERE id = '{other[0]}'"));
        Assert.Equal(1000L, await db.ScalarAsync<long>(
            "SELECT count(*) FROM job_log l JOIN job_queue j ON j.id = l.job_id WHERE j.queue = 'complete-plan' AND l.event = 'completed' AND l.worker_id = 'w-plan'"));
    }
}
