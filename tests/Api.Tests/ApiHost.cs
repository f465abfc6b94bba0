using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Platform.TestSupport;

namespace Platform.Api.Tests;

/// <summary>
/// Class fixture: the real Api on Kestrel (a loopback port, so SSE and WebSockets run as in production) against a
/// fresh migrated database and the test run's Redis. <see cref="Configure"/> adds settings for a test class.
/// </summary>
public class ApiHost : MigratedDatabase
{
    private WebApplicationFactory<ApiEntryPoint>? factory;

    public string RedisConnectionString { get; private set; } = string.Empty;

    public Uri BaseAddress { get; private set; } = new("http://127.0.0.1");

    /// <summary>A client for the running Api (real HTTP).</summary>
    public HttpClient CreateClient() => new() { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(30) };

    public IServiceProvider Services => factory?.Services ?? throw new InvalidOperationException("The Api is not started");

    /// <summary>Settings (configuration keys with ':') a derived fixture adds or overrides.</summary>
    protected virtual void Configure(IDictionary<string, string?> settings)
    {
    }

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        RedisConnectionString = (await TestInfrastructure.RedisAsync()).ConnectionString;
        var settings = new Dictionary<string, string?>
        {
            ["ConnectionStrings:platformdb"] = ConnectionString,
            ["ConnectionStrings:cache"] = RedisConnectionString,
        };
        Configure(settings);

        factory = new WebApplicationFactory<ApiEntryPoint>().WithWebHostBuilder(web =>
        {
            web.UseEnvironment("Development");
            // A free loopback port per host: test classes run in parallel (UseKestrel(0) alone fell back to :5000).
            web.UseSetting(WebHostDefaults.ServerUrlsKey, "http://127.0.0.1:0");
            foreach (var (key, value) in settings)
            {
                web.UseSetting(key, value);
            }
        });
        factory.UseKestrel(0);
        factory.StartServer();
        BaseAddress = factory.ClientOptions.BaseAddress;
    }

    public override async Task DisposeAsync()
    {
        if (factory is not null)
        {
            await factory.DisposeAsync();
        }

        await base.DisposeAsync();
    }
}
