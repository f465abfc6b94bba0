using System.Diagnostics;
using Platform.TestSupport;

namespace Platform.Migrations.Tests;

/// <summary>The runner as operators and the AppHost use it: `Platform.Migrations apply|status|plan`, exit codes and output.</summary>
public class MigrationsCommandLineTests : IAsyncLifetime
{
    private string connectionString = string.Empty;

    public async Task InitializeAsync() => connectionString = await TestInfrastructure.CreateEmptyDatabaseAsync("cli");

    public Task DisposeAsync() => TestInfrastructure.DropDatabaseAsync(connectionString);

    private async Task<(int ExitCode, string Output)> RunAsync(params string[] args)
    {
        var info = new ProcessStartInfo("dotnet", ["exec", Path.Combine(AppContext.BaseDirectory, "Platform.Migrations.dll"), .. args])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        info.Environment["ConnectionStrings__platformdb"] = connectionString;
        info.Environment["OTEL_EXPORTER_OTLP_ENDPOINT"] = string.Empty;
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync(new CancellationTokenSource(TimeSpan.FromMinutes(1)).Token);
        return (process.ExitCode, await output + await errors);
    }

    [Fact]
    public async Task Plan_then_apply_then_status_then_a_no_op_apply()
    {
        var plan = await RunAsync("plan");
        Assert.Equal(0, plan.ExitCode);
        Assert.Contains("000_initial_schema.sql", plan.Output);
        Assert.Contains("002_async_job_queue.sql", plan.Output);

        var apply = await RunAsync("apply");
        Assert.True(apply.ExitCode == 0, apply.Output);
        Assert.Contains($"Applied {MigrationScriptSource.Embedded().Count} migration(s)", apply.Output);

        var status = await RunAsync("status");
        Assert.Equal(0, status.ExitCode);
        Assert.Matches(@"000\s+initial_schema\s+applied", status.Output);
        Assert.Matches(@"002\s+async_job_queue\s+applied", status.Output);
        Assert.DoesNotMatch(@"\s(pending|drifted)\s", status.Output);

        var again = await RunAsync("apply");
        Assert.Equal(0, again.ExitCode);
        Assert.Contains("Nothing to apply", again.Output);
    }

    [Fact]
    public async Task Seed_demo_migrates_an_empty_database_seeds_it_and_then_adds_nothing()
    {
        var first = await RunAsync("seed-demo");
        var second = await RunAsync("seed-demo");

        Assert.True(first.ExitCode == 0, first.Output);
        Assert.Contains("Added 300 creators, 3000 items, 30000 clicks", first.Output);
        Assert.True(second.ExitCode == 0, second.Output);
        Assert.Contains("Demo data already present", second.Output);
    }

    [Fact]
    public async Task A_broken_script_folder_exits_non_zero_naming_the_file_and_position()
    {
        using var folder = new ScriptFolder();
        folder.Write("000_broken.sql", "CREATE TABLE ok (id int);\nCREATE TABLE broken (id int,);\n");

        var result = await RunAsync("apply", "--scripts", folder.Path);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("000_broken.sql, line 2", result.Output);
        Assert.Contains("42601", result.Output);
    }

    [Fact]
    public async Task Status_reports_an_invalid_index_left_by_a_failed_concurrent_build_and_exits_1()
    {
        using var folder = new ScriptFolder();
        folder.Write("000_items.sql", "CREATE TABLE items (name text); INSERT INTO items VALUES ('a'), ('a');")
              .Write("001_unique.sql", "-- migrate:no-transaction\nCREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS items_name_key ON items (name);\n");

        var apply = await RunAsync("apply", "--scripts", folder.Path);
        var status = await RunAsync("status", "--scripts", folder.Path);

        Assert.Equal(1, apply.ExitCode);
        Assert.Equal(1, status.ExitCode);
        Assert.Matches(@"001\s+unique\s+pending", status.Output);
        Assert.Contains("invalid index public.items_name_key on items", status.Output);
    }

    [Fact]
    public async Task An_unknown_command_prints_usage_and_exits_2()
    {
        var result = await RunAsync("migrate-everything");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("Usage", result.Output);
    }
}
