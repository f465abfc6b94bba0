using System.Diagnostics;
using System.Net;

namespace Platform.Bench.Chaos;

/// <summary>
/// One Api or Workers process started from its Release build (<c>dotnet Platform.X.dll</c>) with the given settings as
/// environment variables; stdout and stderr are appended to <c>{logDirectory}/{name}.log</c>. Can be killed with
/// SIGKILL and started again with the same settings.
/// </summary>
public sealed class ServiceProcess(string name, string dll, int port, IReadOnlyDictionary<string, string> settings, string logDirectory) : IDisposable
{
    private Process? process;

    public string Name { get; } = name;

    public int Port { get; } = port;

    /// <summary>The running process's id (0 when stopped).</summary>
    public int ProcessId => process is { HasExited: false } running ? running.Id : 0;

    public void Start()
    {
        var start = new ProcessStartInfo("dotnet")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.GetDirectoryName(dll)!,
        };
        start.ArgumentList.Add(dll);
        start.Environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{Port}";
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment["DOTNET_gcServer"] = "0"; // four processes on two cores
        foreach (var (key, value) in settings)
        {
            start.Environment[key] = value;
        }

        process = Process.Start(start)!;
        var log = Path.Combine(logDirectory, Name + ".log");
        var running = process;
        _ = CopyAsync(running.StandardOutput, log);
        _ = CopyAsync(running.StandardError, log);
    }

    /// <summary>kill -9; returns the id of the process killed.</summary>
    public int Kill()
    {
        var pid = ProcessId;
        if (process is { HasExited: false } running)
        {
            running.Kill(entireProcessTree: true);
            running.WaitForExit(5000);
        }

        return pid;
    }

    /// <summary>Waits until <c>/health</c> answers 200.</summary>
    public async Task WaitHealthyAsync(TimeSpan timeout)
    {
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < timeout)
        {
            if (process is { HasExited: true } exited)
            {
                throw new InvalidOperationException($"{Name} exited with {exited.ExitCode} (see {Path.Combine(logDirectory, Name + ".log")})");
            }

            try
            {
                using var response = await client.GetAsync($"http://127.0.0.1:{Port}/health");
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }

            await Task.Delay(200);
        }

        throw new TimeoutException($"{Name} did not become healthy within {timeout.TotalSeconds} s");
    }

    private static readonly Lock LogLock = new();

    private static async Task CopyAsync(StreamReader reader, string path)
    {
        while (await reader.ReadLineAsync() is { } line)
        {
            lock (LogLock)
            {
                File.AppendAllText(path, line + Environment.NewLine);
            }
        }
    }

    public void Dispose()
    {
        Kill();
        process?.Dispose();
    }
}
