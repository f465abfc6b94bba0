using Microsoft.Extensions.Options;
using Npgsql;
using Platform.Core.Data;
using Platform.Workers.Queue.Maintenance;

namespace Platform.Workers.Trending;

/// <summary>
/// Ticks <see cref="TrendingCalculator"/> every <see cref="TrendingOptions.IntervalSeconds"/> (at least 1 s), as a
/// <see cref="MaintenanceTask"/> under <see cref="TrendingCalculator.LockKey"/>: one replica computes a tick, then
/// announces it. Rows are the trending rows changed.
/// </summary>
public sealed class TrendingService(
    NpgsqlDataSource dataSource, TrendingCalculator calculator, IOptions<TrendingOptions> options, SchemaReadiness schema, ILogger<TrendingService> logger)
    : MaintenanceTask(dataSource, schema, logger)
{
    private long clicksRolledUp;

    protected override TimeSpan Interval => TimeSpan.FromSeconds(Math.Max(1, options.Value.IntervalSeconds));

    protected override long? LockKey => TrendingCalculator.LockKey;

    protected override async Task<int> RunBatchAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        var (clicks, rows) = await calculator.ComputeAsync(connection, transaction, null, cancellationToken);
        clicksRolledUp = clicks;
        return rows;
    }

    protected override Task OnTickCompletedAsync(int rows, CancellationToken cancellationToken) =>
        calculator.PublishAsync(clicksRolledUp, rows, cancellationToken);
}
