using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using Platform.Core.Jobs;
using Platform.Core.Jobs.Args;
using Platform.TestSupport;
using Platform.Workers.Audit;

namespace Platform.Workers.Tests;

/// <summary>
/// The audit projectors while PostgreSQL restarts (found by <c>bench -- chaos</c>: a projector died with "Transaction
/// is already completed", Marten's retry on a broken connection, and took the whole Workers host down with it). Every
/// connection is reset again and again while jobs run: the host must keep running and the audit catch up.
/// </summary>
public sealed class AuditProjectorOutageTests(QueueDatabase db) : IClassFixture<QueueDatabase>
{
    [Fact]
    public async Task Broken_connections_under_the_audit_projectors_never_stop_the_host_and_the_audit_catches_up()
    {
        using var proxy = new TcpFaultProxy((await TestInfrastructure.PostgresAsync()).Port);
        var viaProxy = new NpgsqlConnectionStringBuilder(db.ConnectionString) { Port = proxy.Port }.ConnectionString;
        await using var worker = await WorkerHost.StartAsync(viaProxy, audit: true);
        var lifetime = worker.Services.GetRequiredService<IHostApplicationLifetime>();
        var projectors = worker.Services.GetServices<IHostedService>().OfType<OutboxProjector>().ToList();
        Assert.NotEmpty(projectors);

        var jobs = new List<Guid>();
        var until = DateTime.UtcNow.AddSeconds(8);
        while (DateTime.UtcNow < until)
        {
            for (var i = 0; i < 20; i++)
            {
                jobs.Add((await db.EnqueueAsync(EchoArgs.Kind, new { i })).JobId);
            }

            await Task.Delay(Random.Shared.Next(20, 120));
            proxy.ResetAll(); // what a restart does to every open connection, mid-statement or idle
        }

        Assert.False(lifetime.ApplicationStopping.IsCancellationRequested, "the Workers host stopped");
        Assert.All(projectors, p => Assert.False(p.ExecuteTask?.IsCompleted, $"{p.GetType().Name} ended: {p.ExecuteTask?.Exception?.GetBaseException().Message}"));
        foreach (var id in jobs)
        {
            await db.WaitForStatusAsync(id, JobStatus.Completed, TimeSpan.FromSeconds(60));
        }

        // The audit reaches the last job-log row: each completed job has its stream.
        var deadline = DateTime.UtcNow.AddSeconds(60);
        long missing;
        do
        {
            await Task.Delay(500);
            missing = await db.CountAsync(
                "SELECT count(*) FROM unnest(@ids) j(id) WHERE NOT EXISTS (SELECT 1 FROM audit.mt_events e WHERE e.stream_id = j.id)",
                ("ids", jobs.ToArray()));
        }
        while (missing > 0 && DateTime.UtcNow < deadline);
        Assert.Equal(0, missing);
    }
}
