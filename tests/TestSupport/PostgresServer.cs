using Npgsql;
using Testcontainers.PostgreSql;

namespace Platform.TestSupport;

/// <summary>
/// A PostgreSQL server the tests may create databases on: the server named by <c>TEST_POSTGRES_CONNECTION</c>,
/// else a throwaway one started from the local binaries (initdb into a temp folder, pg_ctl on a free port),
/// else a Testcontainers container when a Docker engine answers.
/// </summary>
public sealed class PostgresServer : IAsyncDisposable
{
    public const string ConnectionEnvironmentVariable = "TEST_POSTGRES_CONNECTION";
    private const string TempPrefix = "platform-tests-pg-";
    private readonly Func<Task> stop;
    private int stopped;
    private LocalControl? local;

    private PostgresServer(string adminConnectionString, string description, Func<Task> stop)
    {
        AdminConnectionString = adminConnectionString;
        Description = description;
        this.stop = stop;
    }

    /// <summary>pg_ctl, the data directory, the log and the server options of a server started from local binaries.</summary>
    private sealed record LocalControl(string PgCtl, string Data, string Log, string Options);

    /// <summary>The server's port (from the admin connection string).</summary>
    public int Port => new NpgsqlConnectionStringBuilder(AdminConnectionString).Port;

    /// <summary>A superuser connection to the server's <c>postgres</c> database.</summary>
    public string AdminConnectionString { get; }

    public string Description { get; }

    public string ConnectionStringFor(string database) =>
        new NpgsqlConnectionStringBuilder(AdminConnectionString) { Database = database }.ConnectionString;

    public static Task<PostgresServer> StartAsync() => StartAsync(durable: false);

    /// <summary>
    /// As <see cref="StartAsync()"/>; with <paramref name="durable"/> a local server keeps PostgreSQL's defaults
    /// (<c>fsync</c>, <c>synchronous_commit</c>, <c>full_page_writes</c> on), as benchmarks and crash tests need, and
    /// <paramref name="maxConnections"/> slots.
    /// </summary>
    public static async Task<PostgresServer> StartAsync(bool durable, int maxConnections = 400)
    {
        var external = Environment.GetEnvironmentVariable(ConnectionEnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(external))
        {
            return new PostgresServer(external, "external server from " + ConnectionEnvironmentVariable, () => Task.CompletedTask);
        }

        var bin = FindBinDirectory();
        if (bin is not null)
        {
            RemoveStaleServers(bin);
            return await StartLocalAsync(bin, durable, maxConnections);
        }

        try
        {
            var container = new PostgreSqlBuilder("postgres:18.3").Build();
            await container.StartAsync();
            return new PostgresServer(container.GetConnectionString(), "Testcontainers postgres:18.3", () => container.DisposeAsync().AsTask());
        }
        catch (Exception error)
        {
            throw new InvalidOperationException(
                $"No PostgreSQL for the tests: set {ConnectionEnvironmentVariable}, install PostgreSQL (apt-get install postgresql), " +
                "or start a Docker engine.", error);
        }
    }

    /// <summary>PG_BIN, else the newest /usr/lib/postgresql/N/bin, else pg_ctl on PATH.</summary>
    public static string? FindBinDirectory()
    {
        var configured = Environment.GetEnvironmentVariable("PG_BIN");
        if (!string.IsNullOrWhiteSpace(configured) && File.Exists(Path.Combine(configured, "pg_ctl")))
        {
            return configured;
        }

        if (Directory.Exists("/usr/lib/postgresql"))
        {
            var newest = Directory.GetDirectories("/usr/lib/postgresql")
                .Select(d => (Dir: Path.Combine(d, "bin"), Version: int.TryParse(Path.GetFileName(d), out var v) ? v : 0))
                .Where(d => File.Exists(Path.Combine(d.Dir, "pg_ctl")))
                .OrderByDescending(d => d.Version)
                .FirstOrDefault();
            if (newest.Dir is not null)
            {
                return newest.Dir;
            }
        }

        var onPath = ExternalProcess.Find([], "pg_ctl");
        return onPath is null ? null : Path.GetDirectoryName(Path.GetFullPath(onPath));
    }

    /// <summary>
    /// <c>pg_ctl stop -m <paramref name="mode"/></c> of a local server (<c>fast</c>: a clean shutdown; <c>immediate</c>:
    /// a crash, recovered from the WAL at the next start).
    /// </summary>
    /// <exception cref="NotSupportedException">The server was not started from local binaries.</exception>
    public Task StopServerAsync(string mode)
    {
        var control = local ?? throw new NotSupportedException("Only a server started from local binaries can be stopped and started.");
        return ExternalProcess.RunAsync(control.PgCtl, ["-D", control.Data, "-m", mode, "-w", "stop"], dropRoot: true);
    }

    /// <summary>Starts a local server stopped by <see cref="StopServerAsync"/> again, on the same port with the same options.</summary>
    /// <exception cref="NotSupportedException">The server was not started from local binaries.</exception>
    public Task StartServerAsync()
    {
        var control = local ?? throw new NotSupportedException("Only a server started from local binaries can be stopped and started.");
        return ExternalProcess.RunAsync(control.PgCtl, ["-D", control.Data, "-l", control.Log, "-w", "-t", "120", "-o", control.Options, "start"], dropRoot: true, timeout: TimeSpan.FromSeconds(130));
    }

    private static async Task<PostgresServer> StartLocalAsync(string bin, bool durable, int maxConnections)
    {
        var root = Path.Combine(Path.GetTempPath(), TempPrefix + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(root);
        await File.WriteAllTextAsync(Path.Combine(root, "owner.pid"), Environment.ProcessId.ToString());
        ExternalProcess.ChownToPostgres(root);
        var data = Path.Combine(root, "data");
        var pgCtl = Path.Combine(bin, "pg_ctl");
        try
        {
            await ExternalProcess.RunAsync(
                Path.Combine(bin, "initdb"),
                ["-D", data, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"],
                dropRoot: true);

            for (var attempt = 1; ; attempt++)
            {
                var port = ExternalProcess.FreePort();
                // Durability off unless asked for: these databases live for one test run.
                var durability = durable ? string.Empty : "-c fsync=off -c synchronous_commit=off -c full_page_writes=off ";
                var options = $"-p {port} -k {root} -c listen_addresses=127.0.0.1 {durability}" +
                              $"-c max_connections={maxConnections} -c shared_buffers=128MB";
                try
                {
                    await ExternalProcess.RunAsync(pgCtl, ["-D", data, "-l", Path.Combine(root, "server.log"), "-w", "-t", "60", "-o", options, "start"], dropRoot: true);
                }
                catch (InvalidOperationException) when (attempt < 3)
                {
                    continue; // the port was taken between FreePort and the start
                }

                var connectionString = new NpgsqlConnectionStringBuilder
                {
                    Host = "127.0.0.1",
                    Port = port,
                    Username = "postgres",
                    Database = "postgres",
                    MaxPoolSize = 50,
                }.ConnectionString;
                var runAs = ExternalProcess.IsRoot ? $"runuser -u {ExternalProcess.PostgresUser} -- " : string.Empty;
                ExternalProcess.CleanUpAfterExit(
                    $"{runAs}{ExternalProcess.ShellQuote(pgCtl)} -D {ExternalProcess.ShellQuote(data)} -m immediate -w stop >/dev/null 2>&1; " +
                    $"rm -rf {ExternalProcess.ShellQuote(root)}");
                var server = new PostgresServer(connectionString, $"local {bin} on port {port}", () => StopLocalAsync(pgCtl, data, root))
                {
                    local = new LocalControl(pgCtl, data, Path.Combine(root, "server.log"), options),
                };
                return server;
            }
        }
        catch
        {
            await StopLocalAsync(pgCtl, data, root);
            throw;
        }
    }

    private static async Task StopLocalAsync(string pgCtl, string data, string root)
    {
        try
        {
            if (File.Exists(Path.Combine(data, "postmaster.pid")))
            {
                await ExternalProcess.RunAsync(pgCtl, ["-D", data, "-m", "immediate", "-w", "stop"], dropRoot: true);
            }
        }
        finally
        {
            try
            {
                Directory.Delete(root, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    /// <summary>Servers left behind by a test process that was killed: stop them and delete their folders.</summary>
    private static void RemoveStaleServers(string bin)
    {
        foreach (var dir in Directory.GetDirectories(Path.GetTempPath(), TempPrefix + "*"))
        {
            var pidFile = Path.Combine(dir, "owner.pid");
            if (!File.Exists(pidFile) || !int.TryParse(File.ReadAllText(pidFile), out var pid) || IsAlive(pid))
            {
                continue;
            }

            try
            {
                StopLocalAsync(Path.Combine(bin, "pg_ctl"), Path.Combine(dir, "data"), dir).GetAwaiter().GetResult();
            }
            catch (Exception)
            {
                // Best effort: a half-deleted folder is not worth failing the run for.
            }
        }
    }

    private static bool IsAlive(int pid)
    {
        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref stopped, 1) == 0)
        {
            NpgsqlConnection.ClearAllPools();
            await stop();
        }
    }
}
