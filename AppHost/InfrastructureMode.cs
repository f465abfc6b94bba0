using System.Diagnostics;
using Microsoft.Extensions.Configuration;

namespace Platform.AppHost;

/// <summary>
/// How Postgres and Redis run: Aspire containers or local binaries as executable resources (run mode), or managed
/// Azure services whose connection strings come in as parameters (publish mode: infra/ provisions them).
/// </summary>
public enum InfrastructureMode
{
    Container,
    Local,
    Managed,
}

public static class InfrastructureModeSelector
{
    /// <summary>Setting that forces a mode: <c>auto</c> (default), <c>container</c> or <c>local</c>.</summary>
    public const string SettingKey = "Infrastructure:Mode";

    /// <summary>
    /// Publishing (manifest, azd) always uses managed services: nothing stateful runs as a container in the cloud. Otherwise the setting decides; with <c>auto</c>, containers
    /// when a container runtime answers, local binaries when none does (a Docker client without an engine).
    /// </summary>
    public static InfrastructureMode Select(IConfiguration configuration, bool isPublishMode, Func<bool>? containerRuntimeAnswers = null)
    {
        if (isPublishMode)
        {
            return InfrastructureMode.Managed;
        }

        var setting = configuration[SettingKey]?.Trim().ToLowerInvariant();
        return setting switch
        {
            "container" or "containers" => InfrastructureMode.Container,
            "local" => InfrastructureMode.Local,
            null or "" or "auto" => (containerRuntimeAnswers ?? ContainerRuntimeAnswers)() ? InfrastructureMode.Container : InfrastructureMode.Local,
            _ => throw new InvalidOperationException($"{SettingKey} must be auto, container or local (was '{setting}')."),
        };
    }

    /// <summary>Asks the runtime Aspire would use (ASPIRE_CONTAINER_RUNTIME, else docker) whether its engine is up.</summary>
    public static bool ContainerRuntimeAnswers()
    {
        var runtime = Environment.GetEnvironmentVariable("ASPIRE_CONTAINER_RUNTIME") is { Length: > 0 } configured ? configured : "docker";
        try
        {
            using var process = Process.Start(new ProcessStartInfo(runtime, ["info", "--format", "{{.ServerVersion}}"])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            });
            if (process is null)
            {
                return false;
            }

            _ = process.StandardOutput.ReadToEndAsync();
            _ = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(TimeSpan.FromSeconds(10)))
            {
                process.Kill(entireProcessTree: true);
                return false;
            }

            return process.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false; // no such program
        }
    }
}
