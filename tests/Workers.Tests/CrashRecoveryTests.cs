using System.Diagnostics;
using Platform.Core.Jobs;
using Platform.Core.Jobs.Args;
using Platform.TestSupport;

namespace Platform.Workers.Tests;

/// <summary>A Workers process killed with SIGKILL mid-job: the lease expires, the job is rescued and completes once.</summary>
public class CrashRecoveryTests(QueueDatabase db) : IClassFixture<QueueDatabase>
{
    private async Task<Process> StartWorkersProcessAsync()
    {
        var redis = await TestInfrastructure.RedisAsync();
        var info = new ProcessStartInfo("dotnet", ["exec", Path.Combine(AppContext.BaseDirectory, "Platform.Workers.dll")])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        info.Environment["ConnectionStrings__platformdb"] = db.ConnectionString;
        info.Environment["ConnectionStrings__cache"] = redis.ConnectionString;
        info.Environment["ASPNETCORE_URLS"] = "http://127.0.0.1:0";
        info.Environment["DOTNET_ENVIRONMENT"] = "Development";
        info.Environment["Workers__LeaseDuration"] = "00:00:03";
        info.Environment["Workers__HeartbeatInterval"] = "00:00:01";
        info.Environment["Workers__WorkerId"] = "doomed-worker";
        var process = Process.Start(info)!;
        _ = process.StandardOutput.ReadToEndAsync();
        _ = process.StandardError.ReadToEndAsync();
        return process;
    }

    [Fact]
    public async Task A_job_whose_worker_is_killed_is_rescued_after_its_lease_and_completes_once()
    {
        var enqueued = await db.EnqueueAsync(EchoArgs.Kind, new { delay_ms = 4000, tag = "crash" });
        using var doomed = await StartWorkersProcessAsync();
        try
        {
            var claimed = await db.WaitForAsync(enqueued.JobId, j => j.Status == JobStatus.Processing, TimeSpan.FromSeconds(60));
            Assert.Equal(1, claimed.Attempts);
        }
        finally
        {
            doomed.Kill(); // SIGKILL: no shutdown, no release, the lease just stops being renewed
            await doomed.WaitForExitAsync();
        }

        var killedAt = Stopwatch.StartNew();
        await using var survivor = await WorkerHost.StartAsync(db.ConnectionString);
        var job = await db.WaitForStatusAsync(enqueued.JobId, JobStatus.Completed, TimeSpan.FromSeconds(40));

        Assert.True(killedAt.Elapsed < TimeSpan.FromSeconds(30), $"rescue and rerun took {killedAt.Elapsed}");
        Assert.Equal(2, job.Attempts);
        var events = await db.EventsAsync(job.Id);
        Assert.Equal(["enqueued", "claimed", "rescued", "claimed", "completed"], events);
        Assert.Equal(1, await db.CountAsync("SELECT count(*) FROM job_log WHERE job_id = @id AND event = 'completed'", ("id", job.Id)));
        Assert.Equal(1, await db.CountAsync(
            "SELECT count(*) FROM job_log WHERE job_id = @id AND event = 'rescued' AND worker_id = 'doomed-worker'", ("id", job.Id)));
    }
}
