using Npgsql;
using Platform.TestSupport;

namespace Platform.Migrations.Tests;

/// <summary>The runner's guarantees, each against its own empty database on a real PostgreSQL.</summary>
public class MigrationRunnerTests : IAsyncLifetime
{
    private readonly List<string> databases = [];
    private readonly ScriptFolder folder = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        folder.Dispose();
        foreach (var database in databases)
        {
            await TestInfrastructure.DropDatabaseAsync(database);
        }
    }

    private async Task<string> EmptyDatabaseAsync()
    {
        var connectionString = await TestInfrastructure.CreateEmptyDatabaseAsync("runner");
        databases.Add(connectionString);
        return connectionString;
    }

    private static async Task<T?> ScalarAsync<T>(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        var value = await command.ExecuteScalarAsync();
        return value is null or DBNull ? default : (T)value;
    }

    [Fact]
    public async Task Applies_the_real_scripts_to_an_empty_database_and_records_them()
    {
        var db = await EmptyDatabaseAsync();
        var runner = new MigrationRunner(db, MigrationScriptSource.Embedded());

        Assert.Equal(runner.Scripts.Select(s => s.FileName), (await runner.PlanAsync()).Select(s => s.FileName));
        var applied = await runner.ApplyAsync();

        // Every embedded script, in order (the foundation's three first; later branches add theirs after them).
        Assert.Equal(runner.Scripts.Select(s => s.FileName), applied.Select(a => a.Script.FileName));
        Assert.Equal(["000_initial_schema.sql", "001_phase1_discovery_platform.sql", "002_async_job_queue.sql"], applied.Take(3).Select(a => a.Script.FileName));
        var status = await runner.StatusAsync();
        Assert.All(status, s => Assert.Equal(MigrationState.Applied, s.State));
        Assert.All(status, s => Assert.NotNull(s.AppliedBy));
        var checksums = await ScalarAsync<string>(db, "SELECT string_agg(checksum, ',' ORDER BY version) FROM schema_migrations");
        Assert.Equal(string.Join(',', runner.Scripts.Select(s => s.Checksum)), checksums);
    }

    [Fact]
    public async Task Rerunning_is_a_no_op()
    {
        var db = await EmptyDatabaseAsync();
        var runner = new MigrationRunner(db, MigrationScriptSource.Embedded());
        await runner.ApplyAsync();
        var before = await ScalarAsync<string>(db, "SELECT string_agg(version || ':' || applied_at, ',' ORDER BY version) FROM schema_migrations");

        var second = await runner.ApplyAsync();

        Assert.Empty(second);
        Assert.Empty(await runner.PlanAsync());
        Assert.Equal(before, await ScalarAsync<string>(db, "SELECT string_agg(version || ':' || applied_at, ',' ORDER BY version) FROM schema_migrations"));
    }

    [Fact]
    public async Task Concurrent_runners_apply_each_migration_exactly_once()
    {
        var db = await EmptyDatabaseAsync();
        // A counter table and a slow second file make the runners overlap for real.
        folder.Write("000_counter.sql", "CREATE TABLE applied_count (n int NOT NULL); INSERT INTO applied_count VALUES (0);")
              .Write("001_slow.sql", "SELECT pg_sleep(0.5); UPDATE applied_count SET n = n + 1;")
              .Write("002_more.sql", "UPDATE applied_count SET n = n + 10;");
        var scripts = folder.Load();

        var results = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() => new MigrationRunner(db, scripts).ApplyAsync())));

        Assert.Equal(3, results.Sum(r => r.Count));
        Assert.Equal(11, await ScalarAsync<int>(db, "SELECT n FROM applied_count"));
        Assert.Equal(3L, await ScalarAsync<long>(db, "SELECT count(*) FROM schema_migrations"));
    }

    [Fact]
    public async Task Concurrent_runners_of_the_real_scripts_apply_them_once()
    {
        var db = await EmptyDatabaseAsync();

        var results = await Task.WhenAll(
            Task.Run(() => new MigrationRunner(db, MigrationScriptSource.Embedded()).ApplyAsync()),
            Task.Run(() => new MigrationRunner(db, MigrationScriptSource.Embedded()).ApplyAsync()));

        Assert.Equal(MigrationScriptSource.Embedded().Count, results.Sum(r => r.Count));
    }

    [Fact]
    public async Task An_edited_applied_file_is_refused_as_checksum_drift()
    {
        var db = await EmptyDatabaseAsync();
        folder.Write("000_base.sql", "CREATE TABLE t (id int);");
        await new MigrationRunner(db, folder.Load()).ApplyAsync();

        folder.Write("000_base.sql", "CREATE TABLE t (id int, extra text);")
              .Write("001_next.sql", "CREATE TABLE u (id int);");
        var runner = new MigrationRunner(db, folder.Load());

        var error = await Assert.ThrowsAsync<MigrationValidationException>(() => runner.ApplyAsync());
        Assert.Contains("000_base.sql", error.Message);
        Assert.Contains("drift", error.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(3, error.ExitCode);
        await Assert.ThrowsAsync<MigrationValidationException>(() => runner.PlanAsync());
        Assert.Equal(MigrationState.Drifted, (await runner.StatusAsync()).Single(s => s.Version == 0).State);
        Assert.Null(await ScalarAsync<string>(db, "SELECT to_regclass('public.u')::text"));
    }

    [Fact]
    public async Task A_failing_file_is_rolled_back_recorded_nowhere_and_reported_with_its_position()
    {
        var db = await EmptyDatabaseAsync();
        folder.Write("000_ok.sql", "CREATE TABLE kept (id int);")
              .Write("001_broken.sql", "CREATE TABLE half_done (id int);\nINSERT INTO half_done VALUES (1);\n\nSELECT * FROM\n  missing_table;\n")
              .Write("002_after.sql", "CREATE TABLE never (id int);");
        var runner = new MigrationRunner(db, folder.Load());

        var error = await Assert.ThrowsAsync<MigrationFailedException>(() => runner.ApplyAsync());

        Assert.Equal("001_broken.sql", error.Script.FileName);
        Assert.Contains("001_broken.sql, line 5, column 3", error.Message);
        Assert.Contains("42P01", error.Message);
        Assert.Contains("missing_table", error.Message);
        Assert.Equal(1, error.ExitCode);
        Assert.Equal("kept", await ScalarAsync<string>(db, "SELECT to_regclass('public.kept')::text"));
        Assert.Null(await ScalarAsync<string>(db, "SELECT to_regclass('public.half_done')::text"));
        Assert.Null(await ScalarAsync<string>(db, "SELECT to_regclass('public.never')::text"));
        Assert.Equal("0", await ScalarAsync<string>(db, "SELECT string_agg(version::text, ',') FROM schema_migrations"));
    }

    [Fact]
    public async Task The_lock_is_released_after_a_failure_so_the_next_run_can_proceed()
    {
        var db = await EmptyDatabaseAsync();
        folder.Write("000_broken.sql", "SELECT * FROM nowhere;");
        await Assert.ThrowsAsync<MigrationFailedException>(() => new MigrationRunner(db, folder.Load()).ApplyAsync());

        folder.Write("000_broken.sql", "CREATE TABLE fixed (id int);");
        var applied = await new MigrationRunner(db, folder.Load()).ApplyAsync().WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Single(applied);
        Assert.Equal(0L, await ScalarAsync<long>(db, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"));
    }

    [Fact]
    public async Task A_non_transactional_file_can_create_an_index_concurrently_under_the_runner_lock()
    {
        var db = await EmptyDatabaseAsync();
        folder.Write("000_table.sql", "CREATE TABLE items (id int, name text); INSERT INTO items SELECT g, 'n' || g FROM generate_series(1, 1000) g;")
              .Write("001_index.sql", "-- migrate:no-transaction\nCREATE INDEX CONCURRENTLY IF NOT EXISTS items_name ON items (name);\nCREATE INDEX CONCURRENTLY IF NOT EXISTS items_id ON items (id);\n");

        var applied = await new MigrationRunner(db, folder.Load()).ApplyAsync().WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(2, applied.Count);
        Assert.Equal(2L, await ScalarAsync<long>(db, "SELECT count(*) FROM pg_indexes WHERE tablename = 'items'"));
        Assert.False(await ScalarAsync<bool>(db, "SELECT transactional FROM schema_migrations WHERE version = 1"));
    }

    [Fact]
    public async Task Begin_and_commit_inside_a_transactional_file_are_refused()
    {
        var db = await EmptyDatabaseAsync();
        folder.Write("000_template.sql", "BEGIN;\nALTER TABLE users ADD COLUMN bio TEXT;\nCOMMIT;\n");

        var error = await Assert.ThrowsAsync<MigrationValidationException>(() => new MigrationRunner(db, folder.Load()).ApplyAsync());

        Assert.Contains("000_template.sql, line 1", error.Message);
    }

    [Fact]
    public async Task A_file_older_than_the_newest_applied_version_is_refused_as_out_of_order()
    {
        var db = await EmptyDatabaseAsync();
        folder.Write("000_a.sql", "SELECT 1;").Write("005_e.sql", "SELECT 1;");
        await new MigrationRunner(db, folder.Load()).ApplyAsync();

        folder.Write("003_late.sql", "SELECT 1;");
        var error = await Assert.ThrowsAsync<MigrationValidationException>(() => new MigrationRunner(db, folder.Load()).ApplyAsync());

        Assert.Contains("003_late.sql", error.Message);
    }
}
