using System.Data.Common;
using Microsoft.Extensions.Configuration;
using Npgsql;

namespace Platform.Core.Data;

/// <summary>
/// The cap on each PostgreSQL connection pool of a process (Npgsql's <c>Maximum Pool Size</c>, <c>Max Pool Size</c> elsewhere), so N Api and M Workers
/// replicas fit under the server's <c>max_connections</c> (README, "Connections"). Precedence: the setting
/// (<c>Database__MaxPoolSize</c>, <c>Database__AnonymousMaxPoolSize</c>), else a <c>Maximum Pool Size</c> written in the
/// connection string, else the process's default below. A pool opens connections only as needed; the cap is the most
/// it will hold, and a caller past it waits (up to the connection string's <c>Timeout</c>, 15 s) for one to free up.
/// </summary>
public static class ConnectionPools
{
    /// <summary>Cap of the process's main pool (<c>ConnectionStrings:platformdb</c>).</summary>
    public const string MaxPoolSizeKey = "Database:MaxPoolSize";

    /// <summary>Cap of the Api's pool for public reads (role <c>app_anonymous</c>).</summary>
    public const string AnonymousMaxPoolSizeKey = "Database:AnonymousMaxPoolSize";

    /// <summary>
    /// Api main pool: authenticated endpoints, billing, webhooks intake, health checks, and the one LISTEN connection
    /// of the job streams (held for the process's lifetime).
    /// </summary>
    public const int ApiDefault = 20;

    /// <summary>Api public reads (discovery API, SEO pages, sitemaps, clicks); most are answered from the cache.</summary>
    public const int AnonymousDefault = 20;

    /// <summary>
    /// Workers: one per running job at the default concurrency (default 16 + webhooks 4 + ingestion 4), plus the LISTEN
    /// connection, the two audit projectors' leader connections, claims, completions, heartbeats and the schedules.
    /// Raise it with <c>Workers__Queues__*</c>.
    /// </summary>
    public const int WorkersDefault = 40;

    /// <summary>Sets <paramref name="connection"/>'s <c>Max Pool Size</c> by the precedence above.</summary>
    /// <exception cref="InvalidOperationException">The setting is not a positive integer.</exception>
    public static void Cap(NpgsqlConnectionStringBuilder connection, IConfiguration configuration, string key, int processDefault)
    {
        if (configuration[key] is { Length: > 0 } configured)
        {
            connection.MaxPoolSize = int.TryParse(configured, out var size) && size > 0
                ? size
                : throw new InvalidOperationException($"{key} must be a positive integer (got '{configured}').");
            return;
        }

        var written = new DbConnectionStringBuilder { ConnectionString = connection.ConnectionString };
        if (!written.ContainsKey("Maximum Pool Size") && !written.ContainsKey("MaxPoolSize"))
        {
            connection.MaxPoolSize = processDefault;
        }
    }
}
