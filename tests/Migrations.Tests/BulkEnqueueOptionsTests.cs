using Npgsql;
using Platform.TestSupport;

namespace Platform.Migrations.Tests;

/// <summary>
/// create_jobs_bulk() after 028: one function with 025's parameters (ids generated up front, idempotency keys, max
/// attempts; positional callers unchanged) and 028's (run_at, timeout, trace context), so the webhook intake
/// (record_stripe_webhooks, named arguments) and the typed batch enqueue both keep working, also after 028 ran again.
/// </summary>
public class BulkEnqueueOptionsTests(MigratedDatabase db) : IClassFixture<MigratedDatabase>
{
    private const string OneFunction = "SELECT count(*) FROM pg_proc WHERE proname = 'create_jobs_bulk'";

    [Fact]
    public async Task One_create_jobs_bulk_takes_ids_and_keys_positionally_with_the_run_at_timeout_and_trace_options()
    {
        Assert.Equal(1L, await db.ScalarAsync<long>(OneFunction));
        var (first, second) = (Guid.NewGuid(), Guid.NewGuid());
        var runAt = DateTime.UtcNow.AddHours(1);

        await using var connection = await db.DataSource.OpenConnectionAsync();
        await using (var bulk = new NpgsqlCommand(
            """
            SELECT create_jobs_bulk(NULL, 'echo', ARRAY['{"n": 1}', '{"n": 2}']::jsonb[], 'bulk-options', 0, 5, @ids, @keys,
                                    p_run_at => @run_at, p_timeout_seconds => 42,
                                    p_trace_parent => '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', p_trace_state => 'k=v')
            """, connection))
        {
            bulk.Parameters.AddWithValue("ids", new[] { first, second });
            bulk.Parameters.AddWithValue("keys", new[] { "bulk-options:1", "bulk-options:2" });
            bulk.Parameters.AddWithValue("run_at", runAt);
            Assert.Equal(2, (int)(await bulk.ExecuteScalarAsync())!);
        }

        var stored = await db.ScalarAsync<long>(
            $"""
            SELECT count(*) FROM job_queue
            WHERE queue = 'bulk-options' AND id IN ('{first}', '{second}') AND idempotency_key = 'bulk-options:' || (payload ->> 'n')
              AND max_attempts = 5 AND timeout_seconds = 42 AND run_at > now() + interval '50 minutes'
              AND trace_parent LIKE '00-0af7651916cd43dd8448eb211c80319c-%' AND trace_state = 'k=v'
            """);
        Assert.Equal(2L, stored);

        // The same key again: refused as in 025.
        var duplicate = await Assert.ThrowsAsync<PostgresException>(() => db.ScalarAsync<int>(
            "SELECT create_jobs_bulk(NULL, 'echo', ARRAY['{}']::jsonb[], 'bulk-options', p_idempotency_keys => ARRAY['bulk-options:1'])"));
        Assert.Equal(PostgresErrorCodes.UniqueViolation, duplicate.SqlState);

        // Without options: run now, 3 attempts, a new UUIDv7 id, no key, no timeout.
        Assert.Equal(1, await db.ScalarAsync<int>("SELECT create_jobs_bulk(NULL, 'echo', ARRAY['{}']::jsonb[], 'bulk-defaults')"));
        Assert.Equal(1L, await db.ScalarAsync<long>(
            """
            SELECT count(*) FROM job_queue
            WHERE queue = 'bulk-defaults' AND max_attempts = 3 AND run_at <= now() AND idempotency_key IS NULL
              AND timeout_seconds IS NULL AND substr(id::text, 15, 1) = '7'
            """));
    }

    [Fact]
    public async Task After_028_runs_again_there_is_still_one_function_and_the_webhook_intake_enqueues_through_it()
    {
        var script = MigrationScriptSource.Embedded().Single(s => s.Version == 28);
        await using (var connection = await db.DataSource.OpenConnectionAsync())
        await using (var transaction = await connection.BeginTransactionAsync())
        {
            foreach (var statement in SqlStatementSplitter.Split(script.Sql))
            {
                await using var command = new NpgsqlCommand(statement.Text, connection, transaction);
                await command.ExecuteNonQueryAsync();
            }

            await transaction.CommitAsync();
        }

        Assert.Equal(1L, await db.ScalarAsync<long>(OneFunction));
        Assert.False(await db.ScalarAsync<bool>(
            "SELECT has_function_privilege('public', 'create_jobs_bulk(uuid, text, jsonb[], text, integer, integer, uuid[], text[], timestamptz, integer, text, text)', 'EXECUTE')"));

        var jobId = await db.ScalarAsync<Guid>(
            "SELECT job_id FROM record_stripe_webhook('evt_bulk_options_028', 'invoice.paid', '{}'::jsonb)");
        Assert.Equal(1L, await db.ScalarAsync<long>(
            $"""
            SELECT count(*) FROM job_queue
            WHERE id = '{jobId}' AND job_type = 'stripe_webhook' AND queue = 'webhooks' AND max_attempts = 4
              AND idempotency_key = 'stripe:evt_bulk_options_028'
            """));
    }
}
