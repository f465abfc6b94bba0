using Npgsql;
using Platform.TestSupport;

namespace Platform.Migrations.Tests;

/// <summary>What migrations 000-002 leave behind: the seed's tables, functions, triggers and RLS policies.</summary>
public class SchemaTests(MigratedDatabase db) : IClassFixture<MigratedDatabase>
{
    private async Task<HashSet<string>> NamesAsync(string sql)
    {
        await using var command = db.DataSource.CreateCommand(sql);
        await using var reader = await command.ExecuteReaderAsync();
        var names = new HashSet<string>();
        while (await reader.ReadAsync())
        {
            names.Add(reader.GetString(0));
        }

        return names;
    }

    [Fact]
    public async Task Every_seed_table_exists()
    {
        var tables = await NamesAsync("SELECT tablename FROM pg_tables WHERE schemaname = 'public'");

        Assert.Superset(
            new HashSet<string>
            {
                "users", "platform_account", "content_item", "subscription", // 000
                "content_category", "content_tag", "content_media", "content_click", "trending_content", "featured_creator", // 001
                "job_queue", "job_log", "stripe_webhook_events", "schema_migrations", // 002 + history
            },
            tables);
    }

    [Fact]
    public async Task Martens_audit_event_store_lives_in_its_own_schema()
    {
        var tables = await NamesAsync("SELECT tablename FROM pg_tables WHERE schemaname = 'audit'");

        Assert.Superset(new HashSet<string> { "mt_events", "mt_streams" }, tables);
    }

    [Fact]
    public async Task The_fifteen_categories_are_seeded()
    {
        Assert.Equal(15L, await db.ScalarAsync<long>("SELECT count(*) FROM content_category"));
    }

    [Fact]
    public async Task Seed_001_columns_exist_on_users_and_content_item()
    {
        var users = await NamesAsync("SELECT column_name FROM information_schema.columns WHERE table_name = 'users'");
        var items = await NamesAsync("SELECT column_name FROM information_schema.columns WHERE table_name = 'content_item'");
        var subscription = await NamesAsync("SELECT column_name FROM information_schema.columns WHERE table_name = 'subscription'");

        Assert.Superset(new HashSet<string> { "username", "bio", "avatar_url", "is_public" }, users);
        Assert.Superset(new HashSet<string> { "slug", "meta_title", "meta_description", "canonical_url", "search_vector", "category_id" }, items);
        Assert.Superset(new HashSet<string> { "stripe_customer_id", "stripe_subscription_id", "stripe_price_id", "tier", "status" }, subscription);
    }

    [Fact]
    public async Task The_job_webhook_pagination_and_caching_functions_exist()
    {
        var functions = await NamesAsync("SELECT p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'public'");

        Assert.Superset(
            new HashSet<string>
            {
                "create_job", "create_jobs_bulk", "claim_jobs", "heartbeat_jobs", "complete_job", "complete_jobs", "fail_job",
                "release_jobs", "reschedule_job", "cancel_job", "update_job_progress", "rescue_expired_jobs", "get_cached_job_result",
                "get_jobs_page", "job_queue_stats", "cleanup_old_jobs", "record_stripe_webhook", "mark_webhook_processing",
                "mark_webhook_processed", "mark_webhook_failed", "replay_stripe_webhook", "cleanup_old_webhooks",
                "cache_get", "cache_set", "cache_purge_expired", "ensure_user", "app_current_user_id", "set_updated_at", "slugify",
            },
            functions);
    }

    [Fact]
    public async Task The_updated_at_and_notify_triggers_exist()
    {
        var triggers = await NamesAsync("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal");

        Assert.Superset(
            new HashSet<string>
            {
                "trg_job_queue_updated_at", "trg_stripe_webhook_events_updated_at", "trg_job_queue_notify_enqueued",
                "trg_job_queue_notify_change", "trg_job_queue_delete_logs", "trg_users_updated_at", "trg_content_item_updated_at", "trg_subscription_updated_at",
            },
            triggers);
    }

    [Fact]
    public async Task Row_level_security_is_on_with_its_policies()
    {
        var secured = await NamesAsync("SELECT relname FROM pg_class WHERE relrowsecurity AND relnamespace = 'public'::regnamespace");
        var policies = await NamesAsync("SELECT policyname FROM pg_policies WHERE schemaname = 'public'");

        Assert.Superset(new HashSet<string> { "job_queue", "job_log", "subscription", "stripe_webhook_events", "platform_account", "users" }, secured);
        Assert.Superset(
            new HashSet<string>
            {
                "job_queue_select_own", "job_queue_insert_own", "job_queue_update_own", "job_log_select_own",
                "subscription_select_own", "platform_account_all_own", "users_select_own_or_public", "stripe_webhook_events_deny_app",
            },
            policies);
    }

    [Fact]
    public async Task The_job_queue_is_indexed_for_claiming_and_the_webhook_event_id_is_unique()
    {
        // Exactly these: every index on job_queue costs each enqueue, claim or completion an entry (008).
        Assert.Equal(
            new HashSet<string>
            {
                "job_queue_pkey", "idx_job_queue_claim", "idx_job_queue_lease_expiry", "job_queue_idempotency_key",
                "idx_job_queue_cache_lookup", "idx_job_queue_user_created", "idx_job_queue_user_status_created", "idx_job_queue_created_brin",
            },
            await NamesAsync("SELECT indexname FROM pg_indexes WHERE tablename = 'job_queue'"));
        Assert.Equal(
            new HashSet<string> { "job_log_pkey", "idx_job_log_job", "idx_job_log_created_brin", "idx_job_log_failures" },
            await NamesAsync("SELECT indexname FROM pg_indexes WHERE tablename = 'job_log'"));
        Assert.True(await db.ScalarAsync<bool>(
            """
            SELECT EXISTS (SELECT 1 FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
                           WHERE i.indrelid = 'stripe_webhook_events'::regclass AND i.indisunique AND i.indnatts = 1 AND a.attname = 'stripe_event_id')
            """));
        var claimIndex = await db.ScalarAsync<string>(
            "SELECT indexdef FROM pg_indexes WHERE tablename = 'job_queue' AND indexdef ILIKE '%WHERE (status = ''pending''%' LIMIT 1");
        Assert.NotNull(claimIndex);
    }

    [Fact]
    public async Task Rls_keeps_one_users_jobs_from_another_even_with_the_id()
    {
        var alice = Guid.NewGuid();
        var bob = Guid.NewGuid();
        Guid bobsJob;
        await using (var owner = await db.DataSource.OpenConnectionAsync())
        {
            await using var setup = new NpgsqlCommand(
                "SELECT ensure_user(@a); SELECT ensure_user(@b); SELECT id FROM create_job(@b, 'echo', '{}'::jsonb)", owner);
            setup.Parameters.AddWithValue("a", alice);
            setup.Parameters.AddWithValue("b", bob);
            await using var reader = await setup.ExecuteReaderAsync();
            await reader.NextResultAsync();
            await reader.NextResultAsync();
            await reader.ReadAsync();
            bobsJob = reader.GetGuid(0);
        }

        await using var connection = await db.DataSource.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await using (var asAlice = new NpgsqlCommand("SET LOCAL ROLE app_user; SELECT set_config('app.user_id', @a, true)", connection, transaction))
        {
            asAlice.Parameters.AddWithValue("a", alice.ToString());
            await asAlice.ExecuteNonQueryAsync();
        }

        await using var read = new NpgsqlCommand("SELECT count(*) FROM job_queue WHERE id = @id", connection, transaction);
        read.Parameters.AddWithValue("id", bobsJob);
        Assert.Equal(0L, (long)(await read.ExecuteScalarAsync())!);

        await using var cancel = new NpgsqlCommand("UPDATE job_queue SET cancel_requested = true WHERE id = @id", connection, transaction);
        cancel.Parameters.AddWithValue("id", bobsJob);
        Assert.Equal(0, await cancel.ExecuteNonQueryAsync());

        await using var webhooks = new NpgsqlCommand("SELECT count(*) FROM stripe_webhook_events", connection, transaction);
        var denied = await Assert.ThrowsAnyAsync<PostgresException>(() => webhooks.ExecuteScalarAsync());
        Assert.Equal("42501", denied.SqlState);
    }

    [Fact]
    public async Task A_duplicate_stripe_event_is_stored_once_with_one_processing_job()
    {
        const string sql = "SELECT webhook_id, inserted, job_id FROM record_stripe_webhook('evt_test_dup', 'customer.subscription.updated', '{}'::jsonb)";

        var first = await QueryRowAsync(sql);
        var second = await QueryRowAsync(sql);

        Assert.True((bool)first[1]);
        Assert.False((bool)second[1]);
        Assert.Equal(first[0], second[0]);
        Assert.Equal(first[2], second[2]);
        Assert.Equal(1L, await db.ScalarAsync<long>("SELECT count(*) FROM stripe_webhook_events WHERE stripe_event_id = 'evt_test_dup'"));
        Assert.Equal(1L, await db.ScalarAsync<long>("SELECT count(*) FROM job_queue WHERE idempotency_key = 'stripe:evt_test_dup'"));
    }

    private async Task<object[]> QueryRowAsync(string sql)
    {
        await using var command = db.DataSource.CreateCommand(sql);
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        var values = new object[reader.FieldCount];
        reader.GetValues(values);
        return values;
    }
}
