using Microsoft.Extensions.DependencyInjection.Extensions;
using StackExchange.Redis;
using Platform.Core.Data;

namespace Platform.Workers.Trending;

public static class TrendingServiceExtensions
{
    /// <summary>The trending calculator and its schedule (section <c>Trending</c>).</summary>
    public static WebApplicationBuilder AddTrending(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<TrendingOptions>().Bind(builder.Configuration.GetSection(TrendingOptions.Section))
            .Validate(o => o.SearchRecentItems >= 0, "Trending:SearchRecentItems must be 0 or more.")
            .ValidateOnStart();
        builder.Services.TryAddSingleton(sp => new TrendingCalculator(
            sp.GetRequiredService<Npgsql.NpgsqlDataSource>(),
            sp.GetRequiredService<Microsoft.Extensions.Options.IOptions<TrendingOptions>>(),
            sp.GetRequiredService<ILogger<TrendingCalculator>>(),
            sp.GetService<IConnectionMultiplexer>()));
        if (builder.Configuration.GetValue(TrendingOptions.Section + ":Enabled", true))
        {
            builder.Services.AddSchemaReadiness();
            builder.Services.AddHostedService<TrendingService>();
        }

        return builder;
    }
}
