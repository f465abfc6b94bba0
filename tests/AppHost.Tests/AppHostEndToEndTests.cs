using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Platform.Core;

namespace Platform.AppHost.Tests;

/// <summary>
/// Starts the whole AppHost in local-process mode (Postgres and Redis from the machine's binaries, no Docker) and
/// checks that every resource comes up: migrations run to completion, the Api and Workers answer /health.
/// </summary>
[Trait("Category", "EndToEnd")]
public sealed class AppHostEndToEndTests : IDisposable
{
    private static readonly TimeSpan StartupTimeout = TimeSpan.FromMinutes(3);
    private const string SigningKey = "apphost-e2e-signing-key-0123456789abcdefghijklmnop";
    private readonly string dataDirectory = Path.Combine(Path.GetTempPath(), "platform-apphost-e2e-" + Guid.NewGuid().ToString("N")[..8]);

    [Fact]
    public async Task Local_mode_brings_every_resource_up_and_the_api_answers()
    {
        using var timeout = new CancellationTokenSource(StartupTimeout);
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.AppHost>(
            ["--Infrastructure:Mode=local", $"--Infrastructure:DataDirectory={dataDirectory}", $"--Parameters:auth-signing-key={SigningKey}"],
            timeout.Token);
        await using var app = await builder.BuildAsync(timeout.Token);
        await app.StartAsync(timeout.Token);

        var notifications = app.ResourceNotifications;
        await notifications.WaitForResourceHealthyAsync(ResourceNames.PostgresServer, timeout.Token);
        await notifications.WaitForResourceHealthyAsync(ResourceNames.Database, timeout.Token);
        await notifications.WaitForResourceHealthyAsync(ResourceNames.Cache, timeout.Token);
        var migrations = await notifications.WaitForResourceAsync(
            ResourceNames.Migrations, e => KnownResourceStates.TerminalStates.Contains(e.Snapshot.State?.Text), timeout.Token);
        Assert.Equal(KnownResourceStates.Finished, migrations.Snapshot.State?.Text);
        Assert.Equal(0, migrations.Snapshot.ExitCode);
        await notifications.WaitForResourceHealthyAsync(ResourceNames.Api, timeout.Token);
        await notifications.WaitForResourceHealthyAsync(ResourceNames.Workers, timeout.Token);

        using var api = app.CreateHttpClient(ResourceNames.Api);
        using var health = await api.GetAsync("/health", timeout.Token);
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        using var alive = await api.GetAsync("/alive", timeout.Token);
        Assert.Equal(HttpStatusCode.OK, alive.StatusCode);

        // The Api reads the migrated database: the 15 seeded categories.
        using var categories = await api.GetAsync("/api/public/categories", timeout.Token);
        Assert.Equal(HttpStatusCode.OK, categories.StatusCode);
        using var json = JsonDocument.Parse(await categories.Content.ReadAsStringAsync(timeout.Token));
        Assert.Equal(15, json.RootElement.GetProperty("items").GetArrayLength());

        using var workers = app.CreateHttpClient(ResourceNames.Workers);
        using var workersHealth = await workers.GetAsync("/health", timeout.Token);
        Assert.Equal(HttpStatusCode.OK, workersHealth.StatusCode);

        // A job end to end: enqueued through the Api, run by the Workers process, its result read back.
        api.DefaultRequestHeaders.Authorization = new("Bearer", Token(Guid.NewGuid()));
        using var created = await api.PostAsJsonAsync("/api/jobs", new { type = "echo", payload = new { hello = "aspire" } }, timeout.Token);
        Assert.Equal(HttpStatusCode.Accepted, created.StatusCode);
        var location = created.Headers.Location!.ToString();
        string? status = null;
        JsonElement job = default;
        while (status != "completed")
        {
            await Task.Delay(100, timeout.Token);
            job = JsonDocument.Parse(await api.GetStringAsync(location, timeout.Token)).RootElement.Clone();
            status = job.GetProperty("status").GetString();
            Assert.NotEqual("failed", status);
        }

        Assert.Equal("aspire", job.GetProperty("result").GetProperty("hello").GetString());
    }

    private static string Token(Guid userId) =>
        new Microsoft.IdentityModel.JsonWebTokens.JsonWebTokenHandler().CreateToken(new Microsoft.IdentityModel.Tokens.SecurityTokenDescriptor
        {
            Claims = new Dictionary<string, object> { ["sub"] = userId.ToString() },
            Issuer = "platform",
            Audience = "platform-api",
            Expires = DateTime.UtcNow.AddMinutes(10),
            SigningCredentials = new(
                new Microsoft.IdentityModel.Tokens.SymmetricSecurityKey(System.Text.Encoding.UTF8.GetBytes(SigningKey)),
                Microsoft.IdentityModel.Tokens.SecurityAlgorithms.HmacSha256),
        });

    public void Dispose()
    {
        try
        {
            if (Directory.Exists(dataDirectory))
            {
                Directory.Delete(dataDirectory, recursive: true);
            }
        }
        catch (IOException)
        {
            // Postgres may still be flushing as it stops; the folder is in the temp directory anyway.
        }
    }
}
