using Npgsql;

namespace Platform.Bench.Peers;

/// <summary>Fresh, throwaway databases on the server named by ConnectionStrings__platformdb, one per peer run.</summary>
internal static class PeerDatabase
{
    public static string Admin(string connectionString) =>
        new NpgsqlConnectionStringBuilder(connectionString) { Database = "postgres", Pooling = false }.ConnectionString;

    public static async Task<string> ServerVersionAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(Admin(connectionString));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SHOW server_version", connection);
        return (string)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>Drops (if left over) and creates <paramref name="name"/>; returns its connection string.</summary>
    public static async Task<string> CreateAsync(string connectionString, string name)
    {
        await ExecuteAsync(Admin(connectionString), $"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
        await ExecuteAsync(Admin(connectionString), $"CREATE DATABASE \"{name}\" TEMPLATE template0");
        return new NpgsqlConnectionStringBuilder(connectionString) { Database = name }.ConnectionString;
    }

    public static async Task DropAsync(string connectionString, string name)
    {
        NpgsqlConnection.ClearAllPools();
        await ExecuteAsync(Admin(connectionString), $"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
    }

    /// <summary>The same server and credentials as a libpq-style URL, for node-postgres.</summary>
    public static string ToUrl(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        var user = Uri.EscapeDataString(builder.Username ?? Environment.UserName);
        var credentials = string.IsNullOrEmpty(builder.Password) ? user : $"{user}:{Uri.EscapeDataString(builder.Password)}";
        var host = builder.Host ?? "localhost";
        var database = Uri.EscapeDataString(builder.Database ?? "postgres");
        if (host.StartsWith('/'))
        {
            // A Unix socket directory.
            return $"postgres://{credentials}@/{database}?host={Uri.EscapeDataString(host)}&port={builder.Port}";
        }

        var sslmode = builder.SslMode switch
        {
            SslMode.Disable => "disable",
            SslMode.Require or SslMode.VerifyCA or SslMode.VerifyFull => "require",
            _ => null,
        };
        var url = $"postgres://{credentials}@{(host.Contains(':') ? $"[{host}]" : host)}:{builder.Port}/{database}";
        return sslmode is null ? url : $"{url}?sslmode={sslmode}";
    }

    private static async Task ExecuteAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
