using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Platform.Api.Features.Discovery.Shared;
using Platform.Core.Data;
using Platform.TestSupport;
using Platform.Workers;

namespace Platform.Api.Tests;

/// <summary>The Api with both pools capped by settings.</summary>
public sealed class CappedPoolsApiHost : ApiHost
{
    protected override void Configure(IDictionary<string, string?> settings)
    {
        settings[ConnectionPools.MaxPoolSizeKey] = "7";
        settings[ConnectionPools.AnonymousMaxPoolSizeKey] = "5";
    }
}

public sealed class ConnectionPoolTests(CappedPoolsApiHost api) : IClassFixture<CappedPoolsApiHost>
{
    [Fact]
    public void The_api_caps_its_main_pool_and_its_anonymous_pool_by_the_settings()
    {
        Assert.Equal(7, MaxPoolSize(api.Services.GetRequiredService<NpgsqlDataSource>()));
        Assert.Equal(5, MaxPoolSize(api.Services.GetRequiredService<AnonymousDataSource>().DataSource));
    }

    [Fact]
    public async Task The_workers_cap_their_pool_and_default_to_their_own_size()
    {
        var withoutCap = new NpgsqlConnectionStringBuilder(api.ConnectionString) { MaxPoolSize = 100 };
        withoutCap.Remove("Maximum Pool Size");
        var redis = (await TestInfrastructure.RedisAsync()).ConnectionString;

        await using (var capped = StartWorkers(withoutCap.ConnectionString, redis, maxPoolSize: "9"))
        {
            Assert.Equal(9, MaxPoolSize(capped.Services.GetRequiredService<NpgsqlDataSource>()));
        }

        await using var defaulted = StartWorkers(withoutCap.ConnectionString, redis, maxPoolSize: null);
        Assert.Equal(ConnectionPools.WorkersDefault, MaxPoolSize(defaulted.Services.GetRequiredService<NpgsqlDataSource>()));
    }

    [Theory]
    [InlineData(null, "Host=h", 20, 20)] // the process default
    [InlineData(null, "Host=h;Maximum Pool Size=64", 20, 64)] // written in the connection string
    [InlineData(null, "Host=h;MaxPoolSize=64", 20, 64)]
    [InlineData("12", "Host=h;Maximum Pool Size=64", 20, 12)] // the setting wins
    public void Cap_prefers_the_setting_then_the_connection_string_then_the_default(string? setting, string connectionString, int processDefault, int expected)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { [ConnectionPools.MaxPoolSizeKey] = setting })
            .Build();
        var connection = new NpgsqlConnectionStringBuilder(connectionString);

        ConnectionPools.Cap(connection, configuration, ConnectionPools.MaxPoolSizeKey, processDefault);

        Assert.Equal(expected, connection.MaxPoolSize);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("many")]
    public void Cap_refuses_a_setting_that_is_not_a_positive_integer(string setting)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { [ConnectionPools.MaxPoolSizeKey] = setting })
            .Build();

        var error = Assert.Throws<InvalidOperationException>(() =>
            ConnectionPools.Cap(new NpgsqlConnectionStringBuilder("Host=h"), configuration, ConnectionPools.MaxPoolSizeKey, 20));
        Assert.Contains(ConnectionPools.MaxPoolSizeKey, error.Message);
    }

    private static int MaxPoolSize(NpgsqlDataSource dataSource) =>
        new NpgsqlConnectionStringBuilder(dataSource.ConnectionString).MaxPoolSize;

    private static WebApplicationFactory<WorkersEntryPoint> StartWorkers(string database, string redis, string? maxPoolSize)
    {
        var factory = new WebApplicationFactory<WorkersEntryPoint>().WithWebHostBuilder(web =>
        {
            web.UseEnvironment("Development")
                .UseSetting("ConnectionStrings:platformdb", database)
                .UseSetting("ConnectionStrings:cache", redis);
            if (maxPoolSize is not null)
            {
                web.UseSetting(ConnectionPools.MaxPoolSizeKey, maxPoolSize);
            }
        });
        _ = factory.Server; // start it
        return factory;
    }
}
