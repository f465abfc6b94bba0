using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using Platform.Core.Audit;
using Platform.Migrations;

// dotnet run --project Migrations -- apply|status|plan|seed-demo [--scripts <folder>]
// Connection string: ConnectionStrings__platformdb (set by the AppHost, or by you).
const string usage = """
    Usage: Platform.Migrations <command> [--scripts <folder>]

    Commands:
      apply    apply every pending migration, in order (default)
      status   list every migration and whether it is applied, pending or drifted
      plan     print what apply would run, without running it
      seed-demo  apply, then add demo data once (300 public creators, 3,000 items, 30,000 clicks) and
               recompute trending; a second run adds nothing (the dashboard's "Seed demo data" runs this)

    Connection string: ConnectionStrings__platformdb (environment) or --ConnectionStrings:platformdb=<...>.
    Exit codes: 0 done, 1 a migration failed (or left an invalid index; status: an invalid index exists),
    2 usage or connection error, 3 history does not validate (checksum drift, out of order, transaction control in a file).
    """;

var command = args.FirstOrDefault(a => !a.StartsWith('-')) ?? "apply";
if (command is "help" or "-h" or "--help" || args.Contains("--help") || command is not ("apply" or "status" or "plan" or "seed-demo"))
{
    Console.Error.WriteLine(command is "help" ? string.Empty : $"Unknown command '{command}'.");
    Console.Error.WriteLine(usage);
    return command is "help" ? 0 : 2;
}

var builder = Host.CreateApplicationBuilder(args.Where(a => a != command).ToArray());
builder.AddServiceDefaults();
builder.Services.AddOpenTelemetry().WithTracing(t => t.AddNpgsql());
using var host = builder.Build();
await host.StartAsync();
var logger = host.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Platform.Migrations");
var exitCode = await RunAsync(builder.Configuration, logger);
await host.StopAsync();
return exitCode;

async Task<int> RunAsync(IConfiguration configuration, ILogger log)
{
    var connectionString = configuration.GetConnectionString("platformdb");
    if (string.IsNullOrWhiteSpace(connectionString))
    {
        log.LogError("No connection string: set ConnectionStrings__platformdb");
        return 2;
    }

    try
    {
        var scriptsFolder = configuration["scripts"];
        var scripts = scriptsFolder is null ? MigrationScriptSource.Embedded() : MigrationScriptSource.FromDirectory(scriptsFolder);
        // Marten owns the audit schema; it is created and updated here, under the runner's lock, never at run time.
        var runner = new MigrationRunner(connectionString, scripts, log, ct => AuditStore.ApplySchemaAsync(connectionString, ct));
        await WaitForDatabaseAsync(connectionString, configuration.GetValue("Migrations:ConnectTimeoutSeconds", 60), log);

        switch (command)
        {
            case "status":
                var status = await runner.StatusAsync();
                Console.WriteLine($"{"VERSION",-8}{"NAME",-34}{"STATE",-10}{"APPLIED AT (UTC)",-22}{"MS",8}  APPLIED BY");
                foreach (var row in status)
                {
                    Console.WriteLine(
                        $"{row.Version,-8:000}{row.Name,-34}{row.State.ToString().ToLowerInvariant(),-10}" +
                        $"{row.AppliedAt?.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss") ?? "-",-22}{row.DurationMs?.ToString() ?? "-",8}  {row.AppliedBy ?? "-"}");
                }

                // A failed CREATE INDEX CONCURRENTLY leaves an index PostgreSQL does not use but still maintains.
                var invalid = await runner.InvalidIndexesAsync();
                foreach (var index in invalid)
                {
                    Console.WriteLine($"invalid index {index.Name} on {index.Table}: {index.Definition}");
                }

                if (invalid.Count > 0)
                {
                    Console.WriteLine("An invalid index is left by a failed concurrent build: apply drops and rebuilds one a pending file creates; drop others with DROP INDEX CONCURRENTLY.");
                }

                return status.Any(s => s.State == MigrationState.Drifted) ? 3 : invalid.Count > 0 ? 1 : 0;
            case "plan":
                var plan = await runner.PlanAsync();
                Console.WriteLine(plan.Count == 0 ? "Nothing to apply: the database is up to date." : $"{plan.Count} migration(s) would be applied:");
                foreach (var script in plan)
                {
                    Console.WriteLine($"  {script.FileName} ({(script.IsTransactional ? "transactional" : "non-transactional")}, sha256 {script.Checksum[..12]})");
                }

                return 0;
            case "seed-demo":
                await runner.ApplyAsync();
                var outcome = await Platform.Migrations.DemoData.DemoDataSeeder.SeedAsync(connectionString);
                log.LogInformation("{Outcome}", outcome.ToString());
                Console.WriteLine(outcome);
                return 0;
            default:
                var applied = await runner.ApplyAsync();
                Console.WriteLine(applied.Count == 0
                    ? "Nothing to apply: the database is up to date."
                    : $"Applied {applied.Count} migration(s) in {applied.Sum(a => a.Duration.TotalMilliseconds):0} ms: {string.Join(", ", applied.Select(a => a.Script.FileName))}");
                return 0;
        }
    }
    catch (MigrationException error)
    {
        log.LogError("{Message}", error.Message);
        Console.Error.WriteLine(error.Message);
        return error.ExitCode;
    }
    catch (NpgsqlException error)
    {
        log.LogError(error, "Database error");
        Console.Error.WriteLine($"Database error: {error.Message}");
        return 2;
    }
}

// The database may still be starting (AppHost, containers): retry transient connection failures for a while.
static async Task WaitForDatabaseAsync(string connectionString, int timeoutSeconds, ILogger log)
{
    var deadline = DateTime.UtcNow.AddSeconds(timeoutSeconds);
    var builder = new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false };
    while (true)
    {
        try
        {
            await using var connection = new NpgsqlConnection(builder.ConnectionString);
            await connection.OpenAsync();
            return;
        }
        catch (Exception error) when (error is NpgsqlException { IsTransient: true } or PostgresException { SqlState: "57P03" } && DateTime.UtcNow < deadline)
        {
            log.LogInformation("Database not reachable yet ({Message}); retrying", error.Message);
            await Task.Delay(TimeSpan.FromSeconds(1));
        }
    }
}
