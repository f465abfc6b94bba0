using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Platform.Core;

namespace Platform.AppHost;

/// <summary>
/// The dashboard as a control room (run mode only): the api resource links the site's home page (its endpoint's root),
/// its Swagger UI, a public feed, the featured creators and the sitemap, and carries three commands, each idempotent and
/// reporting its outcome in the dashboard:
/// <list type="bullet">
/// <item><b>Seed demo data</b>: starts the <c>demo-data</c> resource (the Migrations runner's <c>seed-demo</c>; also
/// runnable alone, see README) and waits for it; a second run adds nothing.</item>
/// <item><b>Run trending now</b>: rolls clicks up and recomputes both trending windows (the schema's
/// <c>rollup_content_clicks()</c> and <c>refresh_trending()</c> with their defaults), as the Workers' tick does.</item>
/// <item><b>Replay failed Stripe events</b>: every <c>stripe_webhook_events</c> row in status <c>failed</c> goes through
/// the Api's <c>POST /api/admin/webhooks/{id}/replay</c> (new job, audited), with a short-lived admin token of the
/// platform's own issuer signed with the AppHost's <c>auth-signing-key</c>.</item>
/// </list>
/// </summary>
public static class DashboardControls
{
    public const string DemoDataResource = "demo-data";
    public const string SeedCommand = "seed-demo-data";
    public const string TrendingCommand = "run-trending-now";
    public const string ReplayCommand = "replay-failed-stripe-events";

    public static void AddDashboardControls(
        this IDistributedApplicationBuilder builder,
        IResourceBuilder<ProjectResource> api,
        IResourceBuilder<ProjectResource> migrations,
        IResourceBuilder<IResourceWithConnectionString> database,
        IResourceBuilder<ParameterResource> authSigningKey)
    {
        if (!builder.ExecutionContext.IsRunMode)
        {
            return;
        }

        api.WithUrlForEndpoint("http", url => url.DisplayText = "Site home page") // the endpoint's root is the public site
            .WithUrls(context =>
            {
                var http = api.GetEndpoint("http");
                context.Urls.Add(new ResourceUrlAnnotation { Url = "/swagger", DisplayText = "Swagger UI", Endpoint = http });
                context.Urls.Add(new ResourceUrlAnnotation { Url = "/api/public/content?sort=newest", DisplayText = "Public feed", Endpoint = http });
                context.Urls.Add(new ResourceUrlAnnotation { Url = "/api/public/creators/featured", DisplayText = "Featured creators", Endpoint = http });
                context.Urls.Add(new ResourceUrlAnnotation { Url = "/sitemap.xml", DisplayText = "Sitemap", Endpoint = http });
            });

        var demoData = builder.AddProject<Projects.Migrations>(DemoDataResource)
            .WithArgs("seed-demo")
            .WithReference(database)
            .WaitForCompletion(migrations)
            .WithExplicitStart();

        api.WithCommand(SeedCommand, "Seed demo data", context => SeedAsync(context, demoData.Resource),
            new CommandOptions
            {
                Description = "300 public creators, 3,000 items with thumbnails, 30,000 clicks, trending; a second run adds nothing",
                IconName = "DatabaseArrowUp",
            });
        api.WithCommand(TrendingCommand, "Run trending now", context => RunTrendingAsync(context, database.Resource),
            new CommandOptions { Description = "Roll clicks up and recompute the 24h and 7d trending lists", IconName = "ArrowTrending" });
        api.WithCommand(ReplayCommand, "Replay failed Stripe events", context => ReplayFailedAsync(context, api.Resource, database.Resource, authSigningKey.Resource),
            new CommandOptions { Description = "Process every Stripe event in status 'failed' again (through the Api's admin replay)", IconName = "ArrowReplay" });
    }

    private static async Task<ExecuteCommandResult> SeedAsync(ExecuteCommandContext context, ProjectResource demoData)
    {
        var started = DateTime.UtcNow;
        var commands = context.Services.GetRequiredService<ResourceCommandService>();
        var start = await commands.ExecuteCommandAsync(demoData, KnownResourceCommands.StartCommand, context.CancellationToken);
        if (!start.Success)
        {
            return CommandResults.Failure($"Could not start {DemoDataResource}: {start.Message}");
        }

        var notifications = context.Services.GetRequiredService<ResourceNotificationService>();
        var finished = await notifications.WaitForResourceAsync(demoData.Name, e =>
            e.Snapshot.StartTimeStamp >= started.AddSeconds(-1)
            && (e.Snapshot.State?.Text == KnownResourceStates.Finished || e.Snapshot.State?.Text == KnownResourceStates.Exited
                || e.Snapshot.State?.Text == KnownResourceStates.FailedToStart), context.CancellationToken);
        return finished.Snapshot.ExitCode == 0
            ? CommandResults.Success($"Demo data seeded (details in the {DemoDataResource} logs).")
            : CommandResults.Failure($"{DemoDataResource} exited with {finished.Snapshot.ExitCode?.ToString() ?? finished.Snapshot.State?.Text}; see its logs.");
    }

    private static async Task<ExecuteCommandResult> RunTrendingAsync(ExecuteCommandContext context, IResourceWithConnectionString database)
    {
        await using var dataSource = NpgsqlDataSource.Create((await database.GetConnectionStringAsync(context.CancellationToken))!);
        await using var command = dataSource.CreateCommand("""
            SELECT rollup_content_clicks(interval '0', 1000000000), refresh_trending('24h'), refresh_trending('7d')
            """);
        await using var reader = await command.ExecuteReaderAsync(context.CancellationToken);
        await reader.ReadAsync(context.CancellationToken);
        return CommandResults.Success(
            $"Rolled up {reader.GetInt64(0)} clicks; trending 24h: {reader.GetInt32(1)} items, 7d: {reader.GetInt32(2)} items.");
    }

    private static async Task<ExecuteCommandResult> ReplayFailedAsync(
        ExecuteCommandContext context, ProjectResource api, IResourceWithConnectionString database, ParameterResource authSigningKey)
    {
        var ids = new List<Guid>();
        await using (var dataSource = NpgsqlDataSource.Create((await database.GetConnectionStringAsync(context.CancellationToken))!))
        await using (var command = dataSource.CreateCommand("SELECT id FROM stripe_webhook_events WHERE status = 'failed' ORDER BY received_at"))
        await using (var reader = await command.ExecuteReaderAsync(context.CancellationToken))
        {
            while (await reader.ReadAsync(context.CancellationToken))
            {
                ids.Add(reader.GetGuid(0));
            }
        }

        if (ids.Count == 0)
        {
            return CommandResults.Success("No failed Stripe events: nothing to replay.");
        }

        using var http = new HttpClient { BaseAddress = new Uri(api.GetEndpoint("http").Url) };
        http.DefaultRequestHeaders.Authorization = new("Bearer", AdminToken((await authSigningKey.GetValueAsync(context.CancellationToken))!));
        var failures = new List<string>();
        foreach (var id in ids)
        {
            using var response = await http.PostAsync($"/api/admin/webhooks/{id}/replay", content: null, context.CancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                failures.Add($"{id}: {(int)response.StatusCode}");
            }
        }

        return failures.Count == 0
            ? CommandResults.Success($"Replayed {ids.Count} failed Stripe event(s); each has a new processing job.")
            : CommandResults.Failure($"Replayed {ids.Count - failures.Count} of {ids.Count}; failed: {string.Join(", ", failures)}");
    }

    /// <summary>
    /// An HS256 JWT of the platform's own issuer (<c>iss</c> <c>platform</c>, <c>aud</c> <c>platform-api</c>, the Api's
    /// defaults) with <c>role</c> <c>admin</c>, valid five minutes (RFC 7519; signed as RFC 7515 compact serialization).
    /// </summary>
    public static string AdminToken(string signingKey, DateTimeOffset? now = null)
    {
        var issued = (now ?? DateTimeOffset.UtcNow).ToUnixTimeSeconds();
        var header = Base64Url(JsonSerializer.SerializeToUtf8Bytes(new { alg = "HS256", typ = "JWT" }));
        var payload = Base64Url(JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object>
        {
            ["iss"] = "platform",
            ["aud"] = "platform-api",
            ["sub"] = "apphost-dashboard",
            ["role"] = "admin",
            ["iat"] = issued,
            ["nbf"] = issued,
            ["exp"] = issued + 300,
        }));
        var signature = HMACSHA256.HashData(Encoding.UTF8.GetBytes(signingKey), Encoding.ASCII.GetBytes($"{header}.{payload}"));
        return $"{header}.{payload}.{Base64Url(signature)}";
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
