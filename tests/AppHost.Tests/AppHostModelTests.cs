using Microsoft.Extensions.Configuration;
using Platform.Core;

namespace Platform.AppHost.Tests;

/// <summary>The application model, built without starting anything.</summary>
public class AppHostModelTests
{
    private static async Task<IDistributedApplicationTestingBuilder> BuildModelAsync(string mode) =>
        await DistributedApplicationTestingBuilder.CreateAsync<Projects.AppHost>(
            [$"--Infrastructure:Mode={mode}", "--Infrastructure:DataDirectory=" + Path.Combine(Path.GetTempPath(), "platform-apphost-model")]);

    private static IResource Resource(IDistributedApplicationTestingBuilder builder, string name) =>
        Assert.Single(builder.Resources, r => r.Name == name);

    private static IEnumerable<string> ReferencedNames(IResource resource) =>
        resource.Annotations.OfType<ResourceRelationshipAnnotation>().Where(r => r.Type == "Reference").Select(r => r.Resource.Name);

    private static IEnumerable<(string Name, WaitType Type)> Waits(IResource resource) =>
        resource.Annotations.OfType<WaitAnnotation>().Select(w => (w.Resource.Name, w.WaitType));

    [Theory]
    [InlineData("local")]
    [InlineData("container")]
    public async Task Has_every_resource_named_as_agreed(string mode)
    {
        await using var builder = await BuildModelAsync(mode);

        foreach (var name in new[] { "postgres", "platformdb", "cache", "migrations", "api", "workers" })
        {
            Resource(builder, name);
        }

        Assert.IsAssignableFrom<IResourceWithConnectionString>(Resource(builder, ResourceNames.Database));
        Assert.IsAssignableFrom<IResourceWithConnectionString>(Resource(builder, ResourceNames.Cache));
        Assert.IsType<ProjectResource>(Resource(builder, ResourceNames.Migrations));
    }

    [Theory]
    [InlineData("local")]
    [InlineData("container")]
    public async Task Api_and_workers_reference_the_database_and_cache_and_wait_for_the_migrations_to_complete(string mode)
    {
        await using var builder = await BuildModelAsync(mode);

        foreach (var service in new[] { ResourceNames.Api, ResourceNames.Workers })
        {
            var resource = Resource(builder, service);
            Assert.Contains(ResourceNames.Database, ReferencedNames(resource));
            Assert.Contains(ResourceNames.Cache, ReferencedNames(resource));
            Assert.Contains((ResourceNames.Migrations, WaitType.WaitForCompletion), Waits(resource));
            Assert.Contains(ResourceNames.Cache, Waits(resource).Select(w => w.Name));
        }

        var migrations = Resource(builder, ResourceNames.Migrations);
        Assert.Contains(ResourceNames.Database, ReferencedNames(migrations));
        Assert.Contains(ResourceNames.Database, Waits(migrations).Select(w => w.Name));
    }

    [Fact]
    public async Task Container_mode_uses_the_aspire_postgres_and_redis_containers()
    {
        await using var builder = await BuildModelAsync("container");

        Assert.IsType<PostgresServerResource>(Resource(builder, ResourceNames.PostgresServer));
        Assert.IsType<PostgresDatabaseResource>(Resource(builder, ResourceNames.Database));
        Assert.IsType<RedisResource>(Resource(builder, ResourceNames.Cache));
    }

    [Fact]
    public async Task Local_mode_runs_postgres_and_redis_as_executables_from_local_binaries()
    {
        await using var builder = await BuildModelAsync("local");

        var postgres = Assert.IsType<LocalPostgresServerResource>(Resource(builder, ResourceNames.PostgresServer));
        Assert.IsAssignableFrom<ExecutableResource>(postgres);
        var database = Assert.IsType<LocalPostgresDatabaseResource>(Resource(builder, ResourceNames.Database));
        Assert.Same(postgres, database.Parent);
        Assert.IsType<LocalRedisResource>(Resource(builder, ResourceNames.Cache));
    }

    [Fact]
    public void An_unknown_mode_is_refused_with_the_setting_named()
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { [InfrastructureModeSelector.SettingKey] = "cloud" })
            .Build();

        var error = Assert.Throws<InvalidOperationException>(() => InfrastructureModeSelector.Select(configuration, isPublishMode: false));
        Assert.Contains("Infrastructure:Mode", error.Message);
    }

    [Theory]
    [InlineData(true, InfrastructureMode.Container)]
    [InlineData(false, InfrastructureMode.Local)]
    public void Auto_mode_follows_whether_a_container_runtime_answers(bool answers, InfrastructureMode expected)
    {
        var configuration = new ConfigurationBuilder().Build();

        Assert.Equal(expected, InfrastructureModeSelector.Select(configuration, isPublishMode: false, () => answers));
        Assert.Equal(InfrastructureMode.Managed, InfrastructureModeSelector.Select(configuration, isPublishMode: true, () => answers));
    }

    [Fact]
    public async Task The_api_carries_the_dashboard_links_and_the_seed_trending_and_replay_commands()
    {
        await using var builder = await BuildModelAsync("local");

        var api = Resource(builder, ResourceNames.Api);
        var commands = api.Annotations.OfType<ResourceCommandAnnotation>().ToDictionary(c => c.Name, c => c.DisplayName);
        Assert.Equal("Seed demo data", commands[DashboardControls.SeedCommand]);
        Assert.Equal("Run trending now", commands[DashboardControls.TrendingCommand]);
        Assert.Equal("Replay failed Stripe events", commands[DashboardControls.ReplayCommand]);
        Assert.NotEmpty(api.Annotations.OfType<ResourceUrlsCallbackAnnotation>());

        var demoData = Assert.IsType<ProjectResource>(Resource(builder, DashboardControls.DemoDataResource));
        Assert.NotEmpty(demoData.Annotations.OfType<ExplicitStartupAnnotation>());
        Assert.Contains(ResourceNames.Database, ReferencedNames(demoData));
        Assert.Contains((ResourceNames.Migrations, WaitType.WaitForCompletion), Waits(demoData));
        var args = new List<object>();
        foreach (var callback in demoData.Annotations.OfType<CommandLineArgsCallbackAnnotation>())
        {
            await callback.Callback(new CommandLineArgsCallbackContext(args));
        }

        Assert.Equal(["seed-demo"], args);
    }

    /// <summary>Issue 18: the api resource links the site's home page, Swagger UI and the sitemap, each named as what it is.</summary>
    [Fact]
    public async Task The_api_links_the_sites_home_page_swagger_ui_and_the_sitemap()
    {
        await using var builder = await BuildModelAsync("local");
        var api = (IResourceWithEndpoints)Resource(builder, ResourceNames.Api);
        var http = api.GetEndpoint("http");
        var urls = new List<ResourceUrlAnnotation> { new() { Url = "http://localhost:5180", Endpoint = http } }; // as Aspire adds it once allocated
        var context = new ResourceUrlsCallbackContext(new DistributedApplicationExecutionContext(DistributedApplicationOperation.Run), api, urls);

        foreach (var callback in api.Annotations.OfType<ResourceUrlsCallbackAnnotation>())
        {
            await callback.Callback(context);
        }

        var links = urls.ToDictionary(u => u.DisplayText ?? "", u => u.Url);
        Assert.Equal("http://localhost:5180", links["Site home page"]);
        Assert.Equal("/swagger", links["Swagger UI"]);
        Assert.Equal("/sitemap.xml", links["Sitemap"]);
    }

    [Fact]
    public void The_replay_commands_admin_token_is_an_hs256_jwt_of_the_platform_issuer_with_the_admin_role()
    {
        var token = DashboardControls.AdminToken("a-signing-key-of-at-least-32-bytes-0123456789", DateTimeOffset.FromUnixTimeSeconds(1_800_000_000));
        var parts = token.Split('.');

        static System.Text.Json.JsonElement Json(string part) =>
            System.Text.Json.JsonDocument.Parse(Convert.FromBase64String(part.Replace('-', '+').Replace('_', '/').PadRight(part.Length + (4 - part.Length % 4) % 4, '='))).RootElement;
        Assert.Equal(3, parts.Length);
        Assert.Equal("HS256", Json(parts[0]).GetProperty("alg").GetString());
        var payload = Json(parts[1]);
        Assert.Equal("platform", payload.GetProperty("iss").GetString());
        Assert.Equal("platform-api", payload.GetProperty("aud").GetString());
        Assert.Equal("admin", payload.GetProperty("role").GetString());
        Assert.Equal(1_800_000_300, payload.GetProperty("exp").GetInt64());
        var expected = System.Security.Cryptography.HMACSHA256.HashData(
            System.Text.Encoding.UTF8.GetBytes("a-signing-key-of-at-least-32-bytes-0123456789"), System.Text.Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]));
        Assert.Equal(Convert.ToBase64String(expected).TrimEnd('=').Replace('+', '-').Replace('/', '_'), parts[2]);
    }
}
