using System.Diagnostics;
using StackExchange.Redis;
using Testcontainers.Redis;

namespace Platform.TestSupport;

/// <summary>
/// A Redis server for the tests: <c>TEST_REDIS_CONNECTION</c>, else <c>redis-server --port N --save ''</c> from the
/// local binaries, else a Testcontainers container.
/// </summary>
public sealed class RedisServer : IAsyncDisposable
{
    public const string ConnectionEnvironmentVariable = "TEST_REDIS_CONNECTION";
    private readonly Func<Task> stop;
    private int stopped;
    private string? binary;
    private int port;
    private System.Diagnostics.Process? process;

    private RedisServer(string connectionString, string description, Func<Task> stop)
    {
        ConnectionString = connectionString;
        Description = description;
        this.stop = stop;
    }

    /// <summary>A StackExchange.Redis configuration string (host:port,...).</summary>
    public string ConnectionString { get; }

    public string Description { get; }

    public static async Task<RedisServer> StartAsync()
    {
        var external = Environment.GetEnvironmentVariable(ConnectionEnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(external))
        {
            return new RedisServer(external, "external server from " + ConnectionEnvironmentVariable, () => Task.CompletedTask);
        }

        var binary = ExternalProcess.Find(["/usr/bin/redis-server", "/usr/local/bin/redis-server"], "redis-server");
        if (binary is not null)
        {
            return await StartLocalAsync(binary);
        }

        try
        {
            var container = new RedisBuilder("redis:8.2").Build();
            await container.StartAsync();
            return new RedisServer(container.GetConnectionString(), "Testcontainers redis", () => container.DisposeAsync().AsTask());
        }
        catch (Exception error)
        {
            throw new InvalidOperationException(
                $"No Redis for the tests: set {ConnectionEnvironmentVariable}, install Redis (apt-get install redis-server), or start a Docker engine.",
                error);
        }
    }

    private static async Task<RedisServer> StartLocalAsync(string binary)
    {
        for (var attempt = 1; ; attempt++)
        {
            var port = ExternalProcess.FreePort();
            var process = await LaunchAsync(binary, port);
            if (process is not null)
            {
                var server = new RedisServer($"127.0.0.1:{port},abortConnect=false", $"local {binary} on port {port}", () => Task.CompletedTask)
                {
                    binary = binary,
                    port = port,
                    process = process,
                };
                return server;
            }

            if (attempt >= 3)
            {
                throw new InvalidOperationException($"redis-server did not start on port {port}");
            }
        }
    }

    /// <summary>Stops a local server (SIGKILL: clients see the connection drop); <see cref="StartServerAsync"/> brings it back.</summary>
    /// <exception cref="NotSupportedException">The server was not started from local binaries.</exception>
    public Task StopServerAsync()
    {
        var running = binary is null ? throw new NotSupportedException("Only a local redis-server can be stopped and started.") : process;
        process = null;
        Kill(running);
        return Task.CompletedTask;
    }

    /// <summary>Starts a local server stopped by <see cref="StopServerAsync"/> again on the same port (empty: no persistence).</summary>
    /// <exception cref="NotSupportedException">The server was not started from local binaries.</exception>
    public async Task StartServerAsync()
    {
        var path = binary ?? throw new NotSupportedException("Only a local redis-server can be stopped and started.");
        process = await LaunchAsync(path, port) ?? throw new InvalidOperationException($"redis-server did not start again on port {port}");
    }

    /// <summary>Starts redis-server on <paramref name="port"/> and waits for PING; null when it did not answer within 20 s.</summary>
    private static async Task<Process?> LaunchAsync(string binary, int port)
    {
        var process = Process.Start(ExternalProcess.StartInfo(
            binary,
            ["--port", port.ToString(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--protected-mode", "no"],
            dropRoot: false))!;
        _ = process.StandardOutput.ReadToEndAsync();
        _ = process.StandardError.ReadToEndAsync();
        ExternalProcess.CleanUpAfterExit($"kill {process.Id} 2>/dev/null");
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (DateTime.UtcNow < deadline && !process.HasExited)
        {
            try
            {
                await using var mux = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{port},abortConnect=true,connectTimeout=500");
                await mux.GetDatabase().PingAsync();
                return process;
            }
            catch (RedisConnectionException)
            {
                await Task.Delay(50);
            }
        }

        Kill(process);
        return null;
    }

    private static void Kill(Process? process)
    {
        if (process is null)
        {
            return;
        }

        if (!process.HasExited)
        {
            process.Kill();
            process.WaitForExit(5000);
        }

        process.Dispose();
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref stopped, 1) == 0)
        {
            Kill(process);
            process = null;
            await stop();
        }
    }
}
