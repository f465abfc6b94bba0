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

        Assert.Equal(runner.Scripts.Select(s => s.FileName), applied.Select(a => a.Script.FileName));
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
        Assert.Equal(0L, await ScalarAsync<long>(db, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"));
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
    public async Task A_file_wrapped_in_one_leading_begin_and_one_trailing_commit_runs_in_the_runners_transaction()
    {
        var db = await EmptyDatabaseAsync();
        folder.Write("000_template.sql", "-- the seed's template\nBEGIN;\n\nCREATE TABLE users (id int);\nALTER TABLE users ADD COLUMN bio TEXT;\n\nCOMMIT;\n")
              .Write("001_wrapped_broken.sql", "begin transaction;\nCREATE TABLE half_done (id int);\nSELECT * FROM missing_table;\nend;\n");
        var runner = new MigrationRunner(db, folder.Load());

        var error = await Assert.ThrowsAsync<MigrationFailedException>(() => runner.ApplyAsync());

        Assert.Contains("001_wrapped_broken.sql, line 3", error.Message);
        Assert.Equal("bio", await ScalarAsync<string>(db, "SELECT column_name::text FROM information_schema.columns WHERE table_name = 'users' AND column_name = 'bio'"));
        Assert.Equal("0", await ScalarAsync<string>(db, "SELECT string_agg(version::text, ',') FROM schema_migrations"));
        Assert.Null(await ScalarAsync<string>(db, "SELECT to_regclass('public.half_done')::text")); // one transaction: all rolled back
    }

    [Theory]
    [InlineData("CREATE TABLE a (id int);\nCOMMIT;\nCREATE TABLE b (id int);\n", 2)]
    [InlineData("BEGIN;\nCREATE TABLE a (id int);\n", 1)]
    [InlineData("CREATE TABLE a (id int);\nCOMMIT;\n", 2)]
    [InlineData("BEGIN;\nCREATE TABLE a (id int);\nCOMMIT;\nBEGIN;\nCREATE TABLE b (id int);\nCOMMIT;\n", 3)]
    [InlineData("BEGIN ISOLATION LEVEL SERIALIZABLE;\nCREATE TABLE a (id int);\nCOMMIT;\n", 1)]
    [InlineData("BEGIN;\nCREATE TABLE a (id int);\nROLLBACK;\n", 3)]
    [InlineData("CREATE TABLE a (id int);\nSAVEPOINT s;\nCREATE TABLE b (id int);\n", 2)]
    [InlineData("BEGIN;\nCREATE TABLE a (id int);\nabort;\n", 3)]
    [InlineData("START TRANSACTION;\nCREATE TABLE a (id int);\nPREPARE TRANSACTION 'x';\n", 3)]
    [InlineData("-- migrate:no-transaction\nBEGIN;\nCREATE TABLE a (id int);\nCOMMIT;\n", 2)]
    public async Task Transaction_control_anywhere_but_one_leading_begin_and_one_trailing_commit_is_refused(string sql, int line)
    {
        var db = await EmptyDatabaseAsync();
        folder.Write("000_control.sql", sql);

        var error = await Assert.ThrowsAsync<MigrationValidationException>(() => new MigrationRunner(db, folder.Load()).ApplyAsync());

        Assert.Contains($"000_control.sql, line {line}", error.Message);
        Assert.Null(await ScalarAsync<string>(db, "SELECT to_regclass('public.a')::text"));
    }

    [Fact]
    public async Task A_sql_standard_function_body_is_applied_as_one_statement()
    {
        var db = await EmptyDatabaseAsync();
        folder.Write("000_atomic.sql", """
            CREATE TABLE grades (score int);
            CREATE FUNCTION grade(score int) RETURNS text
                LANGUAGE sql IMMUTABLE
                BEGIN ATOMIC
                    SELECT CASE WHEN score >= 90 THEN 'A; top' WHEN score >= 50 THEN 'pass' ELSE 'fail' END;
                END;
            CREATE PROCEDURE add_grade(s int)
                LANGUAGE sql
                BEGIN ATOMIC
                    INSERT INTO grades VALUES (s);
                    INSERT INTO grades VALUES (CASE WHEN s > 100 THEN 100 ELSE s END);
                END;
            CALL add_grade(95);
            """);

        await new MigrationRunner(db, folder.Load()).ApplyAsync();

        Assert.Equal("A; top", await ScalarAsync<string>(db, "SELECT grade(95)"));
        Assert.Equal("fail", await ScalarAsync<string>(db, "SELECT grade(10)"));
        Assert.Equal(2L, await ScalarAsync<long>(db, "SELECT count(*) FROM grades WHERE score = 95"));
    }

    [Fact]
    public async Task A_concurrent_index_left_invalid_is_never_recorded_and_is_rebuilt_valid_once_the_data_allows_it()
    {
        var db = await EmptyDatabaseAsync();
        folder.Write("000_items.sql", "CREATE TABLE items (id int, name text); INSERT INTO items SELECT g, 'n' || (g % 500) FROM generate_series(1, 1000) g;")
              .Write("001_unique_name.sql", "-- migrate:no-transaction\nCREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS items_name_key ON items (name);\n");
        var runner = new MigrationRunner(db, folder.Load());

        var error = await Assert.ThrowsAsync<MigrationFailedException>(() => runner.ApplyAsync());

        Assert.Equal(1, error.ExitCode);
        Assert.Contains("23505", error.Message);
        Assert.Contains("public.items_name_key", error.Message);
        Assert.Equal("0", await ScalarAsync<string>(db, "SELECT string_agg(version::text, ',') FROM schema_migrations"));
        var invalid = Assert.Single(await runner.InvalidIndexesAsync());
        Assert.Equal("public.items_name_key", invalid.Name);
        Assert.Equal("items", invalid.Table);

        await ScalarAsync<int>(db, "DELETE FROM items WHERE id > 500");
        var applied = await runner.ApplyAsync();

        Assert.Equal("001_unique_name.sql", Assert.Single(applied).Script.FileName);
        Assert.True(await ScalarAsync<bool>(db, "SELECT indisvalid FROM pg_index WHERE indexrelid = 'items_name_key'::regclass"));
        Assert.Empty(await runner.InvalidIndexesAsync());
        Assert.Equal("0,1", await ScalarAsync<string>(db, "SELECT string_agg(version::text, ',' ORDER BY version) FROM schema_migrations"));
    }

    [Fact]
    public async Task A_non_transactional_file_that_ends_with_an_invalid_index_is_refused_not_recorded()
    {
        var db = await EmptyDatabaseAsync();
        // Stands in for any way an index ends invalid without the statement failing (REINDEX CONCURRENTLY, a cancelled build).
        folder.Write("000_items.sql", "CREATE TABLE items (id int);")
              .Write("001_index.sql", """
                -- migrate:no-transaction
                CREATE INDEX CONCURRENTLY IF NOT EXISTS "Items By Id" ON public.items (id);
                UPDATE pg_index SET indisvalid = false WHERE indexrelid = 'public."Items By Id"'::regclass;
                """);
        var runner = new MigrationRunner(db, folder.Load());

        var error = await Assert.ThrowsAsync<MigrationInvalidIndexException>(() => runner.ApplyAsync());

        Assert.Equal(1, error.ExitCode);
        Assert.Contains("001_index.sql", error.Message);
        Assert.Contains("public.\"Items By Id\"", error.Message);
        Assert.Equal("0", await ScalarAsync<string>(db, "SELECT string_agg(version::text, ',') FROM schema_migrations"));
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
