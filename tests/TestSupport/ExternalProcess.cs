using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Platform.TestSupport;

/// <summary>Runs local server binaries for the tests; as root, PostgreSQL's tools run as the 'postgres' user.</summary>
internal static class ExternalProcess
{
    [DllImport("libc", EntryPoint = "geteuid")]
    private static extern uint GetEffectiveUserId();

    public static bool IsRoot => OperatingSystem.IsLinux() && GetEffectiveUserId() == 0;

    /// <summary>The user PostgreSQL runs as when we are root (it refuses to run as root).</summary>
    public const string PostgresUser = "postgres";

    public static ProcessStartInfo StartInfo(string fileName, IEnumerable<string> arguments, bool dropRoot)
    {
        var info = new ProcessStartInfo
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (dropRoot && IsRoot)
        {
            info.FileName = "runuser";
            info.ArgumentList.Add("-u");
            info.ArgumentList.Add(PostgresUser);
            info.ArgumentList.Add("--");
            info.ArgumentList.Add(fileName);
        }
        else
        {
            info.FileName = fileName;
        }

        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        return info;
    }

    public static async Task<string> RunAsync(string fileName, IEnumerable<string> arguments, bool dropRoot = false, TimeSpan? timeout = null)
    {
        using var process = Process.Start(StartInfo(fileName, arguments, dropRoot))
            ?? throw new InvalidOperationException($"Could not start {fileName}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{fileName} {string.Join(' ', arguments)} did not finish in time");
        }

        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException(
                $"{fileName} {string.Join(' ', arguments)} exited with {process.ExitCode}: {await stderr}{await stdout}");
        }

        return await stdout;
    }

    public static void ChownToPostgres(string path)
    {
        if (IsRoot)
        {
            RunAsync("chown", ["-R", PostgresUser, path]).GetAwaiter().GetResult();
        }
    }

    /// <summary>
    /// Starts a detached shell that waits for this test process to end, however it ends (a test host is often killed
    /// right after its last test, and kill -9 runs no handler), then runs <paramref name="cleanup"/>: no server and no
    /// temp folder outlives the test run.
    /// </summary>
    public static void CleanUpAfterExit(string cleanup)
    {
        var script = $"while kill -0 {Environment.ProcessId} 2>/dev/null; do sleep 0.2; done; {cleanup}";
        var info = new ProcessStartInfo("setsid") { UseShellExecute = false, RedirectStandardInput = false };
        foreach (var argument in new[] { "sh", "-c", script })
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info);
    }

    /// <summary>Quotes a value for sh.</summary>
    public static string ShellQuote(string value) => "'" + value.Replace("'", "'\\''") + "'";

    /// <summary>A TCP port nobody listens on right now.</summary>
    public static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>First existing file among the candidates, or a PATH lookup of the last name.</summary>
    public static string? Find(IEnumerable<string> candidates, string commandName)
    {
        foreach (var candidate in candidates)
        {
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator))
        {
            var path = Path.Combine(dir, commandName);
            if (File.Exists(path))
            {
                return path;
            }
        }

        return null;
    }
}
