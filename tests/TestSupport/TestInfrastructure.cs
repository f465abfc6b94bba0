using Npgsql;
using Platform.Core.Audit;
using Platform.Migrations;

namespace Platform.TestSupport;

/// <summary>
/// One PostgreSQL and one Redis per test process, started on first use and stopped when the process exits;
/// the migrations are applied once into a template database that each test class clones.
/// </summary>
public static class TestInfrastructure
{
    private static readonly Lazy<Task<PostgresServer>> Postgres = new(PostgresServer.StartAsync);
    private static readonly Lazy<Task<RedisServer>> Redis = new(RedisServer.StartAsync);
    private static readonly Lazy<Task<string>> Template = new(CreateTemplateAsync);
    private static readonly string RunId = $"{Environment.ProcessId}_{Guid.NewGuid().ToString("N")[..6]}";

    static TestInfrastructure()
    {
        AppDomain.CurrentDomain.ProcessExit += (_, _) => StopAll();
    }

    public static Task<PostgresServer> PostgresAsync() => Postgres.Value;

    public static Task<RedisServer> RedisAsync() => Redis.Value;

    /// <summary>A new database with every migration applied (cloned from the template), as a connection string.</summary>
    public static async Task<string> CreateMigratedDatabaseAsync(string? label = null)
    {
        var template = await Template.Value;
        return await CreateDatabaseAsync(label, template);
    }

    /// <summary>A new, empty database, as a connection string.</summary>
    public static Task<string> CreateEmptyDatabaseAsync(string? label = null) => CreateDatabaseAsync(label, "template0");

    public static async Task DropDatabaseAsync(string connectionString)
    {
        var server = await Postgres.Value;
        var name = new NpgsqlConnectionStringBuilder(connectionString).Database!;
        NpgsqlConnection.ClearPool(new NpgsqlConnection(connectionString));
        await using var admin = new NpgsqlConnection(server.AdminConnectionString);
        await admin.OpenAsync();
        await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)", admin);
        await drop.ExecuteNonQueryAsync();
    }

    private static async Task<string> CreateDatabaseAsync(string? label, string template)
    {
        var server = await Postgres.Value;
        var name = $"t_{Sanitize(label)}_{Guid.NewGuid().ToString("N")[..10]}";
        await using var admin = new NpgsqlConnection(server.AdminConnectionString);
        await admin.OpenAsync();
        await using var create = new NpgsqlCommand($"CREATE DATABASE \"{name}\" TEMPLATE \"{template}\"", admin);
        await create.ExecuteNonQueryAsync();
        return server.ConnectionStringFor(name);
    }

    private static async Task<string> CreateTemplateAsync()
    {
        var server = await Postgres.Value;
        var name = $"template_{RunId}";
        await using (var admin = new NpgsqlConnection(server.AdminConnectionString))
        {
            await admin.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE \"{name}\" TEMPLATE template0", admin);
            await create.ExecuteNonQueryAsync();
        }

        var connectionString = server.ConnectionStringFor(name);
        await new MigrationRunner(
            connectionString, MigrationScriptSource.Embedded(), afterMigrations: ct => AuditStore.ApplySchemaAsync(connectionString, ct)).ApplyAsync();
        // A template must have no open sessions while it is cloned.
        NpgsqlConnection.ClearPool(new NpgsqlConnection(connectionString));
        return name;
    }

    private static string Sanitize(string? label) =>
        new((label ?? "db").ToLowerInvariant().Where(char.IsAsciiLetterOrDigit).Take(20).ToArray());

    /// <summary>
    /// Best effort at exit (a test host may be killed before this finishes): the servers' own watchdogs
    /// (<see cref="ExternalProcess.CleanUpAfterExit"/>) stop local servers and delete their folders in any case.
    /// </summary>
    private static void StopAll()
    {
        if (Template.IsValueCreated && Template.Value.IsCompletedSuccessfully && Postgres.Value.IsCompletedSuccessfully)
        {
            try
            {
                DropDatabaseAsync(Postgres.Value.Result.ConnectionStringFor(Template.Value.Result)).GetAwaiter().GetResult();
            }
            catch (Exception)
            {
                // The server may already be gone; the database goes with it.
            }
        }

        if (Redis.IsValueCreated && Redis.Value.IsCompletedSuccessfully)
        {
            Redis.Value.Result.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }

        if (Postgres.IsValueCreated && Postgres.Value.IsCompletedSuccessfully)
        {
            Postgres.Value.Result.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
    }
}
