using Npgsql;
using Platform.Core.Data;

namespace Platform.Workers.Queue;

/// <summary>Samples pending/processing counts per queue every few seconds for the <c>jobs.queue_depth</c> gauge.</summary>
public sealed class QueueDepthSampler : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(10);
    private readonly NpgsqlDataSource dataSource;
    private readonly SchemaReadiness schema;
    private volatile IReadOnlyList<(string Queue, string Status, long Count)> latest = [];

    public QueueDepthSampler(NpgsqlDataSource dataSource, QueueMetrics metrics, SchemaReadiness schema)
    {
        this.schema = schema;
        this.dataSource = dataSource;
        metrics.ObserveDepth(() => latest);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await schema.WaitUntilReadyAsync(stoppingToken);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var command = dataSource.CreateCommand("SELECT queue, status, count FROM job_queue_stats(false)");
                await using var reader = await command.ExecuteReaderAsync(stoppingToken);
                var rows = new List<(string, string, long)>();
                while (await reader.ReadAsync(stoppingToken))
                {
                    rows.Add((reader.GetString(0), reader.GetString(1), reader.GetInt64(2)));
                }

                latest = rows;
                await Task.Delay(Interval, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (Exception error) when (error is NpgsqlException or TimeoutException)
            {
                await Task.Delay(Interval, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }
}
