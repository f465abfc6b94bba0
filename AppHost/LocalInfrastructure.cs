using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Platform.AppHost;

/// <summary>PostgreSQL run from the machine's binaries (initdb on first start into a folder the AppHost owns).</summary>
public sealed class LocalPostgresServerResource(string name, string command, string workingDirectory)
    : ExecutableResource(name, command, workingDirectory), IResourceWithConnectionString
{
    public EndpointReference PrimaryEndpoint => new(this, "tcp");

    /// <summary>Server-level connection string (no database); trust authentication, loopback only.</summary>
    public ReferenceExpression ConnectionStringExpression => ReferenceExpression.Create(
        $"Host={PrimaryEndpoint.Property(EndpointProperty.Host)};Port={PrimaryEndpoint.Property(EndpointProperty.Port)};Username=postgres");
}

/// <summary>A database on <see cref="LocalPostgresServerResource"/>, created when the server is ready.</summary>
public sealed class LocalPostgresDatabaseResource(string name, string databaseName, LocalPostgresServerResource parent)
    : Resource(name), IResourceWithParent<LocalPostgresServerResource>, IResourceWithConnectionString
{
    public string DatabaseName { get; } = databaseName;

    public LocalPostgresServerResource Parent { get; } = parent;

    public ReferenceExpression ConnectionStringExpression => ReferenceExpression.Create($"{Parent};Database={DatabaseName}");
}

/// <summary>redis-server run from the machine's binaries, without persistence.</summary>
public sealed class LocalRedisResource(string name, string command, string workingDirectory)
    : ExecutableResource(name, command, workingDirectory), IResourceWithConnectionString
{
    public EndpointReference PrimaryEndpoint => new(this, "tcp");

    public ReferenceExpression ConnectionStringExpression => ReferenceExpression.Create(
        $"{PrimaryEndpoint.Property(EndpointProperty.Host)}:{PrimaryEndpoint.Property(EndpointProperty.Port)}");
}

public static class LocalInfrastructureExtensions
{
    private const string PostgresUser = "postgres";

    /// <summary>
    /// Adds PostgreSQL as an executable resource: a shell that runs <c>initdb</c> into <paramref name="dataDirectory"/> when
    /// it holds no cluster yet, then execs <c>postgres</c> on a free loopback port. As root (PostgreSQL refuses to run as
    /// root) the shell runs as the <c>postgres</c> user through <c>setpriv</c>, which execs, so stop signals reach the server.
    /// </summary>
    public static IResourceBuilder<LocalPostgresServerResource> AddLocalPostgres(
        this IDistributedApplicationBuilder builder, string name, string dataDirectory, int? port = null)
    {
        var bin = FindPostgresBinDirectory()
            ?? throw new InvalidOperationException(
                "Local mode needs PostgreSQL's binaries (initdb, postgres): apt-get install postgresql, or set PG_BIN. " +
                $"Or set {InfrastructureModeSelector.SettingKey}=container with a container runtime.");
        var hostPort = port ?? FreePort();
        var runAsPostgres = IsRoot();

        var data = Path.Combine(dataDirectory, "data");
        var script =
            "set -e; " +
            $"if [ ! -f {Quote(Path.Combine(data, "PG_VERSION"))} ]; then " +
            $"{Quote(Path.Combine(bin, "initdb"))} -D {Quote(data)} -A trust -U postgres -E UTF8 --locale=C.UTF-8; fi; " +
            $"exec {Quote(Path.Combine(bin, "postgres"))} -D {Quote(data)} -p {hostPort} -c listen_addresses=127.0.0.1 " +
            "-c unix_socket_directories='' -c max_connections=300";

        var command = runAsPostgres ? "setpriv" : "/bin/sh";
        string[] args = runAsPostgres
            ? ["--reuid=" + PostgresUser, "--regid=" + PostgresUser, "--init-groups", "--", "/bin/sh", "-c", script]
            : ["-c", script];

        var server = new LocalPostgresServerResource(name, command, dataDirectory);
        var connectionString = $"Host=127.0.0.1;Port={hostPort};Username=postgres;Database=postgres;Timeout=3";
        var healthKey = $"{name}_check";
        builder.Services.AddHealthChecks().AddNpgSql(connectionString, name: healthKey);

        // Building the model has no side effects; the folder is made when the server is about to start.
        builder.Eventing.Subscribe<BeforeResourceStartedEvent>(server, (_, _) =>
        {
            Directory.CreateDirectory(dataDirectory);
            if (runAsPostgres)
            {
                RunOrThrow("chown", PostgresUser, dataDirectory);
            }

            return Task.CompletedTask;
        });

        builder.Eventing.Subscribe<ResourceReadyEvent>(server, async (_, cancellationToken) =>
        {
            await using var connection = new NpgsqlConnection(connectionString);
            await connection.OpenAsync(cancellationToken);
            foreach (var database in builder.Resources.OfType<LocalPostgresDatabaseResource>().Where(d => d.Parent == server))
            {
                await using var exists = new NpgsqlCommand("SELECT 1 FROM pg_database WHERE datname = @name", connection);
                exists.Parameters.AddWithValue("name", database.DatabaseName);
                if (await exists.ExecuteScalarAsync(cancellationToken) is null)
                {
                    await using var create = new NpgsqlCommand($"CREATE DATABASE \"{database.DatabaseName.Replace("\"", "\"\"")}\"", connection);
                    await create.ExecuteNonQueryAsync(cancellationToken);
                }
            }
        });

        return builder.AddResource(server)
            .WithArgs(args)
            .WithEndpoint(port: hostPort, targetPort: hostPort, scheme: "tcp", name: "tcp", isProxied: false)
            .WithHealthCheck(healthKey)
            .ExcludeFromManifest();
    }

    public static IResourceBuilder<LocalPostgresDatabaseResource> AddDatabase(
        this IResourceBuilder<LocalPostgresServerResource> server, string name, string? databaseName = null)
    {
        var database = new LocalPostgresDatabaseResource(name, databaseName ?? name, server.Resource);
        var port = server.Resource.Annotations.OfType<EndpointAnnotation>().Single(e => e.Name == "tcp").Port;
        var healthKey = $"{name}_check";
        server.ApplicationBuilder.Services.AddHealthChecks()
            .AddNpgSql($"Host=127.0.0.1;Port={port};Username=postgres;Database={database.DatabaseName};Timeout=3", name: healthKey);
        // Aspire mirrors a container's state onto its child resources, not an executable's: do it here, so the
        // database shows (and is waited for) as Running once its server runs; its own health check then says when
        // the database exists.
        server.ApplicationBuilder.Eventing.Subscribe<InitializeResourceEvent>(database, (e, cancellationToken) =>
        {
            _ = Task.Run(() => MirrorParentStateAsync(database, e.Notifications, cancellationToken), cancellationToken);
            return Task.CompletedTask;
        });
        return server.ApplicationBuilder.AddResource(database)
            .WithInitialState(new CustomResourceSnapshot
            {
                ResourceType = "PostgresDatabase",
                State = KnownResourceStates.NotStarted,
                Properties = [],
            })
            .WithHealthCheck(healthKey)
            .ExcludeFromManifest();
    }

    private static async Task MirrorParentStateAsync(
        LocalPostgresDatabaseResource database, ResourceNotificationService notifications, CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var update in notifications.WatchAsync(cancellationToken))
            {
                if (update.Resource != database.Parent)
                {
                    continue;
                }

                var parent = update.Snapshot;
                await notifications.PublishUpdateAsync(database, snapshot => snapshot with
                {
                    State = parent.State,
                    StartTimeStamp = parent.StartTimeStamp,
                    StopTimeStamp = parent.StopTimeStamp,
                    ExitCode = parent.ExitCode,
                });
            }
        }
        catch (OperationCanceledException)
        {
            // The AppHost is stopping.
        }
    }

    /// <summary>Adds <c>redis-server --port N --save ''</c> as an executable resource.</summary>
    public static IResourceBuilder<LocalRedisResource> AddLocalRedis(this IDistributedApplicationBuilder builder, string name, string workingDirectory, int? port = null)
    {
        var binary = new[] { "/usr/bin/redis-server", "/usr/local/bin/redis-server" }.FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException(
                "Local mode needs redis-server: apt-get install redis-server. " +
                $"Or set {InfrastructureModeSelector.SettingKey}=container with a container runtime.");
        var hostPort = port ?? FreePort();
        var healthKey = $"{name}_check";
        builder.Services.AddHealthChecks().AddRedis($"127.0.0.1:{hostPort},abortConnect=false,connectTimeout=2000", name: healthKey);
        var redis = new LocalRedisResource(name, binary, workingDirectory);
        builder.Eventing.Subscribe<BeforeResourceStartedEvent>(redis, (_, _) =>
        {
            Directory.CreateDirectory(workingDirectory);
            return Task.CompletedTask;
        });
        return builder.AddResource(redis)
            .WithArgs("--port", hostPort.ToString(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no")
            .WithEndpoint(port: hostPort, targetPort: hostPort, scheme: "tcp", name: "tcp", isProxied: false)
            .WithHealthCheck(healthKey)
            .ExcludeFromManifest();
    }

    /// <summary>PG_BIN, else the newest /usr/lib/postgresql/N/bin, else the folder of initdb on PATH.</summary>
    public static string? FindPostgresBinDirectory()
    {
        var configured = Environment.GetEnvironmentVariable("PG_BIN");
        if (!string.IsNullOrWhiteSpace(configured) && File.Exists(Path.Combine(configured, "postgres")))
        {
            return configured;
        }

        if (Directory.Exists("/usr/lib/postgresql"))
        {
            var newest = Directory.GetDirectories("/usr/lib/postgresql")
                .Select(d => (Bin: Path.Combine(d, "bin"), Version: int.TryParse(Path.GetFileName(d), out var v) ? v : 0))
                .Where(d => File.Exists(Path.Combine(d.Bin, "initdb")))
                .OrderByDescending(d => d.Version)
                .Select(d => d.Bin)
                .FirstOrDefault();
            if (newest is not null)
            {
                return newest;
            }
        }

        return (Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
            .Split(Path.PathSeparator)
            .FirstOrDefault(dir => File.Exists(Path.Combine(dir, "initdb")) && File.Exists(Path.Combine(dir, "postgres")));
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static bool IsRoot() => OperatingSystem.IsLinux() && Environment.UserName == "root";

    private static string Quote(string value) => "'" + value.Replace("'", "'\\''") + "'";

    private static void RunOrThrow(string fileName, params string[] arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(fileName, arguments) { UseShellExecute = false })!;
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{fileName} {string.Join(' ', arguments)} exited with {process.ExitCode}");
        }
    }
}
