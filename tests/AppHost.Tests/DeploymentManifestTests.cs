using System.Diagnostics;
using System.Text.Json;

namespace Platform.AppHost.Tests;

/// <summary>The deployment manifest `azd up` consumes: the same model, published with containers.</summary>
public sealed class DeploymentManifestTests : IDisposable
{
    private readonly string outputDirectory = Path.Combine(Path.GetTempPath(), "platform-manifest-" + Guid.NewGuid().ToString("N")[..8]);

    [Fact]
    public async Task The_apphost_publishes_a_manifest_with_every_resource_wired()
    {
        var manifestPath = Path.Combine(outputDirectory, "aspire-manifest.json");
        // The AppHost is built next to the tests (project reference).
        var appHostDll = Path.Combine(AppContext.BaseDirectory, "AppHost.dll");
        var info = new ProcessStartInfo("dotnet", ["exec", appHostDll, "--publisher", "manifest", "--output-path", manifestPath])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        // Whatever this machine has, the published model is the container one.
        info.Environment["Infrastructure__Mode"] = "local";
        info.Environment["Parameters__youtube-api-key"] = "yt-manifest-test";
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync(new CancellationTokenSource(TimeSpan.FromMinutes(2)).Token);
        Assert.True(process.ExitCode == 0, $"AppHost exited with {process.ExitCode}: {await output}{await errors}");

        using var manifest = JsonDocument.Parse(await File.ReadAllTextAsync(manifestPath));
        var resources = manifest.RootElement.GetProperty("resources");
        string TypeOf(string name) => resources.GetProperty(name).GetProperty("type").GetString()!;

        Assert.Equal("container.v0", TypeOf("postgres"));
        Assert.StartsWith("docker.io/library/postgres:18", resources.GetProperty("postgres").GetProperty("image").GetString());
        Assert.Equal("value.v0", TypeOf("platformdb"));
        Assert.Contains("Database=platformdb", resources.GetProperty("platformdb").GetProperty("connectionString").GetString());
        Assert.Equal("container.v0", TypeOf("cache"));
        Assert.Equal("project.v0", TypeOf("migrations"));
        Assert.Equal(["apply"], resources.GetProperty("migrations").GetProperty("args").EnumerateArray().Select(a => a.GetString()));

        foreach (var service in new[] { "api", "workers" })
        {
            Assert.Equal("project.v0", TypeOf(service));
            var env = resources.GetProperty(service).GetProperty("env");
            Assert.Equal("{platformdb.connectionString}", env.GetProperty("ConnectionStrings__platformdb").GetString());
            Assert.Equal("{cache.connectionString}", env.GetProperty("ConnectionStrings__cache").GetString());
        }

        Assert.True(resources.GetProperty("api").GetProperty("bindings").GetProperty("http").GetProperty("external").GetBoolean());

        // Configured ingestion keys reach the Workers as secret parameters (never their values in the manifest).
        Assert.Equal("{youtube-api-key.value}", resources.GetProperty("workers").GetProperty("env").GetProperty("YouTube__ApiKey").GetString());
        Assert.False(resources.GetProperty("workers").GetProperty("env").TryGetProperty("Tagging__Endpoint", out _));
    }

    public void Dispose()
    {
        if (Directory.Exists(outputDirectory))
        {
            Directory.Delete(outputDirectory, recursive: true);
        }
    }
}
