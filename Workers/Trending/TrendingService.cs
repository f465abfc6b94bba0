using Microsoft.Extensions.Options;
using Platform.Core.Data;

namespace Platform.Workers.Trending;

/// <summary>
/// Ticks <see cref="TrendingCalculator"/> every <see cref="TrendingOptions.IntervalSeconds"/>. Every replica ticks; the
/// advisory lock lets one of them compute. To be moved onto the job scheduler once it exists.
/// </summary>
public sealed class TrendingService(TrendingCalculator calculator, IOptions<TrendingOptions> options, SchemaReadiness schema, ILogger<TrendingService> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await schema.WaitUntilReadyAsync(stoppingToken);
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(Math.Max(1, options.Value.IntervalSeconds)));
        do
        {
            try
            {
                await calculator.RecomputeAsync(ct: stoppingToken);
            }
            catch (Exception error) when (!stoppingToken.IsCancellationRequested)
            {
                logger.LogError(error, "Trending tick failed; retrying at the next tick");
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}
