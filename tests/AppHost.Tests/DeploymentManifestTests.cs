using System.Diagnostics;
using System.Text.Json;

namespace Platform.AppHost.Tests;

/// <summary>The publish model (manifest): the services and their settings, with managed PostgreSQL and Redis (no containers).</summary>
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
        // Whatever this machine has, the published model is the managed one.
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

        // Publish mode has no PostgreSQL or Redis container: infra/ provisions managed services and the connection
        // strings come in as secret parameters (Key Vault references in the deployment).
        Assert.False(resources.TryGetProperty("postgres", out _));
        foreach (var resource in resources.EnumerateObject())
        {
            var image = resource.Value.TryGetProperty("image", out var value) ? value.GetString() ?? string.Empty : string.Empty;
            Assert.False(
                image.Contains("postgres", StringComparison.OrdinalIgnoreCase) || image.Contains("redis", StringComparison.OrdinalIgnoreCase),
                $"{resource.Name} runs {image} as a container");
        }

        foreach (var connection in new[] { "platformdb", "cache" })
        {
            Assert.Equal("parameter.v0", TypeOf(connection));
            Assert.Equal($"{{{connection}.value}}", resources.GetProperty(connection).GetProperty("connectionString").GetString());
            Assert.True(resources.GetProperty(connection).GetProperty("inputs").GetProperty("value").GetProperty("secret").GetBoolean());
        }

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

        // Production settings: forwarded headers from the ingress, public URLs, one salt, an OIDC issuer, Azure Monitor.
        var apiEnv = resources.GetProperty("api").GetProperty("env");
        Assert.Equal("true", apiEnv.GetProperty("ASPNETCORE_FORWARDEDHEADERS_ENABLED").GetString());
        Assert.Equal("{public-base-url.value}", apiEnv.GetProperty("Discovery__PublicBaseUrl").GetString());
        Assert.Equal("{visitor-hash-salt.value}", apiEnv.GetProperty("Discovery__VisitorHashSalt").GetString());
        Assert.Equal("{auth-authority.value}", apiEnv.GetProperty("Auth__Authority").GetString());
        Assert.False(apiEnv.TryGetProperty("Auth__SigningKey", out _), "production tokens come from the OIDC issuer only");
        Assert.StartsWith("{web-app-base-url.value}/billing", apiEnv.GetProperty("Stripe__CheckoutSuccessUrl").GetString());
        foreach (var service in new[] { "api", "workers", "migrations" })
        {
            Assert.Equal(
                "{applicationinsights-connection-string.value}",
                resources.GetProperty(service).GetProperty("env").GetProperty("APPLICATIONINSIGHTS_CONNECTION_STRING").GetString());
        }

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
