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
            var process = Process.Start(ExternalProcess.StartInfo(
                binary,
                ["--port", port.ToString(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--protected-mode", "no"],
                dropRoot: false))!;
            _ = process.StandardOutput.ReadToEndAsync();
            _ = process.StandardError.ReadToEndAsync();
            ExternalProcess.CleanUpAfterExit($"kill {process.Id} 2>/dev/null");
            var connectionString = $"127.0.0.1:{port},abortConnect=false";
            var deadline = DateTime.UtcNow.AddSeconds(20);
            while (DateTime.UtcNow < deadline && !process.HasExited)
            {
                try
                {
                    await using var mux = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{port},abortConnect=true,connectTimeout=500");
                    await mux.GetDatabase().PingAsync();
                    return new RedisServer(connectionString, $"local {binary} on port {port}", () =>
                    {
                        if (!process.HasExited)
                        {
                            process.Kill();
                            process.WaitForExit(5000);
                        }

                        process.Dispose();
                        return Task.CompletedTask;
                    });
                }
                catch (RedisConnectionException)
                {
                    await Task.Delay(50);
                }
            }

            if (!process.HasExited)
            {
                process.Kill();
            }

            if (attempt >= 3)
            {
                throw new InvalidOperationException($"redis-server did not start on port {port}");
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref stopped, 1) == 0)
        {
            await stop();
        }
    }
}
