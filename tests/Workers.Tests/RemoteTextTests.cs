using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Platform.Core.Jobs;
using Platform.Core.Jobs.Args;
using Platform.Workers.Queue;

namespace Platform.Workers.Tests;

/// <summary>
/// Text from outside (a remote error message, a result, a progress message) that PostgreSQL cannot store as given
/// (U+0000, unpaired surrogates) is written cleaned by the queue engine: a job never ends as "lease expired" because
/// its own outcome could not be written, and one such result does not hold back the others completed with it.
/// </summary>
public sealed class RemoteTextTests(QueueDatabase db) : IClassFixture<QueueDatabase>
{
    private static readonly Dictionary<string, string?> ShortLeases = new()
    {
        ["Workers:LeaseDuration"] = "00:00:02",
        ["Workers:HeartbeatInterval"] = "00:00:00.500",
    };

    [Theory]
    [InlineData("retry")]
    [InlineData("permanent")]
    public async Task A_failure_whose_message_has_nul_and_a_broken_surrogate_is_written_cleaned(string kind)
    {
        await using var worker = await StartAsync<ThrowingHandler>();

        var enqueued = await db.EnqueueAsync(EchoArgs.Kind, new { kind }, maxAttempts: 1);
        var job = await db.WaitForStatusAsync(enqueued.JobId, JobStatus.Failed);

        Assert.Equal(1, job.Attempts);
        Assert.DoesNotContain("lease expired", job.Error);
        Assert.Contains("remote said: ab\uFFFD!", job.Error);
    }

    [Fact]
    public async Task An_unexpected_exception_is_shown_to_the_owner_without_its_text()
    {
        await using var worker = await StartAsync<ThrowingHandler>();

        var enqueued = await db.EnqueueAsync(EchoArgs.Kind, new { kind = "internal" }, maxAttempts: 1);
        var job = await db.WaitForStatusAsync(enqueued.JobId, JobStatus.Failed);

        Assert.StartsWith("The job failed unexpectedly", job.Error);
        Assert.DoesNotContain("10.0.0.7", job.Error);
        Assert.DoesNotContain("5432", job.Error);
        Assert.DoesNotContain("Exception", job.Error);
    }

    [Fact]
    public async Task A_long_failure_message_is_cut_at_a_text_element_boundary()
    {
        await using var worker = await StartAsync<ThrowingHandler>();

        var enqueued = await db.EnqueueAsync(EchoArgs.Kind, new { kind = "long" }, maxAttempts: 1);
        var job = await db.WaitForStatusAsync(enqueued.JobId, JobStatus.Failed);

        Assert.DoesNotContain("lease expired", job.Error);
        Assert.True(job.Error!.Length <= 4000, $"{job.Error.Length} characters");
        Assert.StartsWith(new string('a', 3999), job.Error); // the emoji at 3999-4000 would not fit whole: cut before it
        Assert.False(char.IsSurrogate(job.Error[^1]));
    }

    [Fact]
    public async Task A_result_and_a_progress_message_with_nul_are_stored_cleaned_and_do_not_hold_back_other_completions()
    {
        await using var worker = await StartAsync<ThrowingHandler>();

        var bad = await db.EnqueueAsync(EchoArgs.Kind, new { kind = "result" });
        var good = await db.EnqueueAsync(EchoArgs.Kind, new { kind = "plain" });
        var badJob = await db.WaitForStatusAsync(bad.JobId, JobStatus.Completed);
        var goodJob = await db.WaitForStatusAsync(good.JobId, JobStatus.Completed);

        Assert.Equal(1, badJob.Attempts);
        Assert.Equal("ab\uFFFD", badJob.Result!.Value.GetProperty("title").GetString());
        Assert.Equal("ab", badJob.Result.Value.GetProperty("list")[0].GetString());
        Assert.Equal("step ab", badJob.ProgressMessage);
        Assert.Equal(1, goodJob.Attempts);
    }

    [Fact]
    public async Task A_reschedule_whose_reason_has_nul_is_written_and_the_job_waits_without_using_an_attempt()
    {
        await using var worker = await StartAsync<ThrowingHandler>();

        var enqueued = await db.EnqueueAsync(EchoArgs.Kind, new { kind = "reschedule" });
        var job = await db.WaitForAsync(enqueued.JobId, j => j.Status == JobStatus.Pending && j.RunAt > DateTimeOffset.UtcNow.AddMinutes(30));

        Assert.DoesNotContain("lease expired", job.Error ?? string.Empty);
        Assert.Equal("quota: ab", await db.ScalarAsync<string>(
            $"SELECT message FROM job_log WHERE job_id = '{job.Id}' AND message LIKE 'quota%' ORDER BY id DESC LIMIT 1"));
        Assert.Equal("cancelled", await db.CancelAsync(job.Id)); // tidy
    }

    private Task<WorkerHost> StartAsync<THandler>()
        where THandler : class, IJobHandler =>
        WorkerHost.StartAsync(db.ConnectionString, services => services.AddKeyedScoped<IJobHandler, THandler>(EchoArgs.Kind), ShortLeases);

    /// <summary>What a handler meets when it quotes a remote service: its text, as sent.</summary>
    private sealed class ThrowingHandler : IJobHandler
    {
        public async Task<JsonNode?> HandleAsync(JobContext context, CancellationToken cancellationToken)
        {
            switch (context.Payload.GetProperty("kind").GetString())
            {
                case "retry":
                    throw new JobFailureException("remote said: a\0b\uD800!");
                case "internal":
                    throw new HttpRequestException("Connection refused (10.0.0.7:5432)", new System.Net.Sockets.SocketException(111));
                case "permanent":
                    throw new PermanentJobFailureException("remote said: a\0b\uDC00!");
                case "long":
                    throw new PermanentJobFailureException(new string('a', 3999) + "😀" + new string('b', 100));
                case "reschedule":
                    throw new JobRescheduleException(DateTimeOffset.UtcNow.AddHours(1), "quota: a\0b");
                case "result":
                    await context.ReportProgressAsync(50, "step a\0b", cancellationToken);
                    return new JsonObject { ["title"] = "a\0b\uD800", ["list"] = new JsonArray("a\0b") };
                default:
                    return new JsonObject { ["title"] = "fine" };
            }
        }
    }
}
