using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Platform.Workers.Queue;
using Platform.Workers.Queue.Maintenance;

namespace Platform.Workers.Tests;

/// <summary>
/// A periodic task whose tick fails (<see cref="MaintenanceTask"/>): the Workers host keeps running, the task backs
/// off instead of retrying at every interval, and the failures are counted. Each test breaks one SQL function of its
/// own database (a fixture of this class only).
/// </summary>
public sealed class MaintenanceFailureTests(QueueDatabase db) : IClassFixture<QueueDatabase>
{
    [Fact]
    public async Task A_tick_that_keeps_failing_backs_off_instead_of_retrying_every_interval()
    {
        // nextval is not rolled back with the failed transaction: it counts the attempts.
        await db.ScalarAsync<int>(
            """
            CREATE SEQUENCE rescue_attempts;
            CREATE OR REPLACE FUNCTION rescue_expired_jobs(p_limit integer DEFAULT 1000) RETURNS integer LANGUAGE plpgsql AS $$
            BEGIN
                PERFORM nextval('rescue_attempts');
                RAISE EXCEPTION 'could not extend file (test)';
            END $$
            """);
        await using var worker = await WorkerHost.StartAsync(db.ConnectionString, settings: new Dictionary<string, string?>
        {
            ["Workers:RescueInterval"] = "00:00:00.050",
        });

        await Task.Delay(TimeSpan.FromSeconds(3.5));

        // Every 50 ms that is about 70 attempts; with the backoff (1 s, 2 s, then 4 s) it is 3.
        var attempts = await db.ScalarAsync<long>("SELECT last_value FROM rescue_attempts");
        Assert.InRange(attempts, 2, 5);
        var rescuer = worker.Services.GetServices<IHostedService>().OfType<LeaseRescuer>().Single();
        Assert.False(rescuer.ExecuteTask?.IsCompleted);
    }

    [Fact]
    public async Task A_tick_failing_outside_the_database_driver_never_stops_the_host_and_is_counted()
    {
        // NULL where a row count is expected: an InvalidCastException, not an NpgsqlException.
        await db.ScalarAsync<int>("CREATE OR REPLACE FUNCTION cache_purge_expired() RETURNS integer LANGUAGE sql AS $$ SELECT NULL::integer $$");
        long failures = 0;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == MaintenanceMetrics.Name && instrument.Name == "maintenance.failures")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag is { Key: "task", Value: nameof(QueryCachePurge) })
                {
                    Interlocked.Add(ref failures, value);
                }
            }
        });
        listener.Start();

        await using var worker = await WorkerHost.StartAsync(db.ConnectionString, settings: new Dictionary<string, string?>
        {
            ["Workers:QueryCachePurgeInterval"] = "00:00:00.050",
        });
        var lifetime = worker.Services.GetRequiredService<IHostApplicationLifetime>();
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (Interlocked.Read(ref failures) == 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }

        await Task.Delay(500);
        Assert.True(Interlocked.Read(ref failures) >= 1, "no failure counted");
        Assert.False(lifetime.ApplicationStopping.IsCancellationRequested, "the Workers host stopped");
        var purge = worker.Services.GetServices<IHostedService>().OfType<QueryCachePurge>().Single();
        Assert.False(purge.ExecuteTask?.IsCompleted, $"the task ended: {purge.ExecuteTask?.Exception?.GetBaseException().Message}");
    }
}
