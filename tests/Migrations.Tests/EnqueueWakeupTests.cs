using Npgsql;
using Platform.TestSupport;

namespace Platform.Migrations.Tests;

/// <summary>
/// The wake-up of inserted jobs after 032: no trigger on job_queue captures a transition table on insert any more
/// (create_jobs_bulk paid a copy of every row for it); a due pending job still wakes its queue (NOTIFY
/// job_queue_wakeup), once per queue and transaction, whether it came from create_jobs_bulk (its own NOTIFY) or a
/// plain INSERT (the row trigger); jobs scheduled for later wake nobody.
/// </summary>
public class EnqueueWakeupTests(MigratedDatabase db) : IClassFixture<MigratedDatabase>
{
    [Fact]
    public async Task No_trigger_on_job_queue_captures_the_inserted_rows()
    {
        Assert.Equal(0L, await db.ScalarAsync<long>(
            "SELECT count(*) FROM pg_trigger WHERE tgrelid = 'job_queue'::regclass AND tgnewtable IS NOT NULL"));
    }

    [Fact]
    public async Task Due_jobs_wake_their_queue_once_per_transaction_and_later_ones_nobody()
    {
        await using var listener = await db.DataSource.OpenConnectionAsync();
        var wakeups = new List<string>();
        listener.Notification += (_, e) => wakeups.Add(e.Payload);
        await using (var listen = new NpgsqlCommand("LISTEN job_queue_wakeup", listener))
        {
            await listen.ExecuteNonQueryAsync();
        }

        await using (var connection = await db.DataSource.OpenConnectionAsync())
        await using (var transaction = await connection.BeginTransactionAsync())
        {
            await using var enqueue = new NpgsqlCommand(
                """
                SELECT create_jobs_bulk(NULL, 'echo', ARRAY['{}', '{}', '{}']::jsonb[], 'wake-bulk');
                SELECT create_jobs_bulk(NULL, 'echo', ARRAY['{}']::jsonb[], 'wake-bulk-later', p_run_at => now() + interval '1 hour');
                INSERT INTO job_queue (job_type, queue) VALUES ('echo', 'wake-insert'), ('echo', 'wake-insert');
                INSERT INTO job_queue (job_type, queue, run_at) VALUES ('echo', 'wake-insert-later', now() + interval '1 hour');
                INSERT INTO job_queue (job_type, queue, status, completed_at) VALUES ('echo', 'wake-insert-done', 'completed', now());
                """,
                connection,
                transaction);
            await enqueue.ExecuteNonQueryAsync();
            await transaction.CommitAsync();
        }

        // After the batch's transaction, a plain insert wakes again (the batch's switch does not outlive its statement).
        Assert.Equal(1L, await db.ScalarAsync<long>("WITH i AS (INSERT INTO job_queue (job_type, queue) VALUES ('echo', 'wake-bulk') RETURNING 1) SELECT count(*) FROM i"));

        while (await listener.WaitAsync(TimeSpan.FromMilliseconds(500)))
        {
        }

        Assert.Equal(["wake-bulk", "wake-insert", "wake-bulk"], wakeups);
    }
}
