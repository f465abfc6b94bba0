using System.Diagnostics;
using System.Text.Json.Nodes;
using Npgsql;
using Platform.Core.Audit;
using Platform.Migrations;

namespace Platform.Bench;

/// <summary>
/// <c>migrations</c>: an empty database to every migration applied, end to end through the runner (lock, history,
/// one transaction per file), repeated on fresh databases; also the no-op rerun.
/// </summary>
public static class MigrationsBench
{
    public static async Task RunAsync(string connectionString, int runs)
    {
        var admin = new NpgsqlConnectionStringBuilder(connectionString) { Database = "postgres", Pooling = false }.ConnectionString;
        string version;
        await using (var connection = new NpgsqlConnection(admin))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand("SHOW server_version", connection);
            version = (string)(await command.ExecuteScalarAsync())!;
        }

        var scripts = MigrationScriptSource.Embedded();
        var apply = new List<double>();
        var rerun = new List<double>();
        for (var run = 0; run < runs; run++)
        {
            var name = $"bench_migrations_{Environment.ProcessId}_{run}";
            await ExecuteAsync(admin, $"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
            await ExecuteAsync(admin, $"CREATE DATABASE \"{name}\" TEMPLATE template0");
            try
            {
                var target = new NpgsqlConnectionStringBuilder(connectionString) { Database = name }.ConnectionString;
                var runner = new MigrationRunner(target, scripts, afterMigrations: ct => AuditStore.ApplySchemaAsync(target, ct));
                var stopwatch = Stopwatch.StartNew();
                await runner.ApplyAsync();
                apply.Add(stopwatch.Elapsed.TotalMilliseconds);
                stopwatch.Restart();
                await runner.ApplyAsync();
                rerun.Add(stopwatch.Elapsed.TotalMilliseconds);
            }
            finally
            {
                await ExecuteAsync(admin, $"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
            }
        }

        BenchReport.Print("migrations.apply", BenchReport.System(version), new JsonObject
        {
            ["migrations"] = scripts.Count,
            ["runs"] = runs,
            ["median_ms"] = Math.Round(BenchReport.Median(apply), 1),
            ["min_ms"] = Math.Round(apply.Min(), 1),
            ["max_ms"] = Math.Round(apply.Max(), 1),
        });
        BenchReport.Print("migrations.rerun_noop", BenchReport.System(version), new JsonObject
        {
            ["runs"] = runs,
            ["median_ms"] = Math.Round(BenchReport.Median(rerun), 1),
        });
    }

    private static async Task ExecuteAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
