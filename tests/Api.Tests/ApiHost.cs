using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
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

    /// <summary>A client signed in as <paramref name="userId"/> (a bearer token the Api accepts).</summary>
    public HttpClient CreateClient(Guid userId, bool admin = false)
    {
        var client = CreateClient();
        client.DefaultRequestHeaders.Authorization = new("Bearer", TestTokens.For(userId, admin));
        return client;
    }

    public IServiceProvider Services => factory?.Services ?? throw new InvalidOperationException("The Api is not started");

    /// <summary>Settings (configuration keys with ':') a derived fixture adds or overrides.</summary>
    protected virtual void Configure(IDictionary<string, string?> settings)
    {
    }

    /// <summary>Services a derived fixture adds to the Api's (after the Api's own), e.g. a logger provider to read its logs.</summary>
    protected virtual void ConfigureServices(IServiceCollection services)
    {
    }

    /// <summary>The host environment the Api runs in (Development unless a fixture checks production rules).</summary>
    protected virtual string EnvironmentName => "Development";

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        RedisConnectionString = (await TestInfrastructure.RedisAsync()).ConnectionString;
        var settings = new Dictionary<string, string?>
        {
            ["ConnectionStrings:platformdb"] = ConnectionString,
            ["ConnectionStrings:cache"] = RedisConnectionString,
            ["Auth:SigningKey"] = TestTokens.SigningKey,
            ["Auth:Issuer"] = TestTokens.Issuer,
            ["Auth:Audience"] = TestTokens.Audience,
        };
        Configure(settings);

        factory = new WebApplicationFactory<ApiEntryPoint>().WithWebHostBuilder(web =>
        {
            web.UseEnvironment(EnvironmentName);
            web.UseUrls("http://127.0.0.1:0");
            foreach (var (key, value) in settings)
            {
                web.UseSetting(key, value);
            }

            web.ConfigureServices(ConfigureServices);
        });
        factory.UseKestrel();
        factory.StartServer();
        var addresses = factory.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>();
        BaseAddress = new Uri(addresses.Addresses.Single());
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
