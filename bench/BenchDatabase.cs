using Npgsql;
using Platform.Core.Audit;
using Platform.Migrations;

namespace Platform.Bench;

/// <summary>A fresh, migrated database on the server named by ConnectionStrings__platformdb, dropped afterwards.</summary>
public sealed class BenchDatabase : IAsyncDisposable
{
    private readonly string admin;

    private BenchDatabase(string admin, string connectionString, string serverVersion)
    {
        this.admin = admin;
        ConnectionString = connectionString;
        ServerVersion = serverVersion;
    }

    public string ConnectionString { get; }

    public string ServerVersion { get; }

    public static async Task<BenchDatabase> CreateAsync(string serverConnectionString, string label, bool migrate = true)
    {
        var admin = new NpgsqlConnectionStringBuilder(serverConnectionString) { Database = "postgres", Pooling = false }.ConnectionString;
        var name = $"bench_{label}_{Environment.ProcessId}";
        string version;
        await using (var connection = new NpgsqlConnection(admin))
        {
            await connection.OpenAsync();
            await using var show = new NpgsqlCommand("SHOW server_version", connection);
            version = (string)(await show.ExecuteScalarAsync())!;
            await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)", connection);
            await drop.ExecuteNonQueryAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE \"{name}\" TEMPLATE template0", connection);
            await create.ExecuteNonQueryAsync();
        }

        var target = new NpgsqlConnectionStringBuilder(serverConnectionString) { Database = name, MaxPoolSize = 100 }.ConnectionString;
        if (migrate)
        {
            await new MigrationRunner(target, MigrationScriptSource.Embedded(), afterMigrations: ct => AuditStore.ApplySchemaAsync(target, ct)).ApplyAsync();
        }

        return new BenchDatabase(admin, target, version);
    }

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        var name = new NpgsqlConnectionStringBuilder(ConnectionString).Database;
        await using var connection = new NpgsqlConnection(admin);
        await connection.OpenAsync();
        await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)", connection);
        await drop.ExecuteNonQueryAsync();
    }
}
