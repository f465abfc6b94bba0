using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Serialization;
using Npgsql;
using Platform.Core.Jobs;
using Platform.Core.Jobs.Args;

namespace Platform.Workers.Tests;

/// <summary>
/// Pins the SQL side of <see cref="JobNotifications"/>: the real functions and triggers run, and every payload they
/// send is read into <see cref="JobChange"/> with unknown fields refused, so a field renamed, added or retyped in a
/// migration fails here before a reader silently misses it.
/// </summary>
public sealed class JobNotificationSchemaTests(QueueDatabase db) : IClassFixture<QueueDatabase>
{
    private static readonly JsonSerializerOptions Strict = new(JobNotifications.SerializerOptions)
    {
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    };

    [Fact]
    public async Task Every_queue_notification_reads_into_the_shared_types()
    {
        await using var listener = await db.DataSource.OpenConnectionAsync();
        var received = new List<(string Channel, string Payload)>();
        listener.Notification += (_, e) => received.Add((e.Channel, e.Payload));
        await using (var listen = new NpgsqlCommand(
            $"LISTEN {JobNotifications.QueueWakeupChannel}; LISTEN {JobNotifications.JobProgressChannel}", listener))
        {
            await listen.ExecuteNonQueryAsync();
        }

        async Task<(List<string> Wakeups, List<(string Payload, IReadOnlyList<JobChange> Changes)> Progress)> DrainAsync()
        {
            while (await listener.WaitAsync(TimeSpan.FromMilliseconds(300)))
            {
            }

            var wakeups = received.Where(r => r.Channel == JobNotifications.QueueWakeupChannel).Select(r => r.Payload).ToList();
            var progress = received.Where(r => r.Channel == JobNotifications.JobProgressChannel)
                .Select(r => (r.Payload, ReadStrictly(r.Payload))).ToList();
            received.Clear();
            return (wakeups, progress);
        }

        // Enqueue: the statement trigger wakes the queue by name.
        var first = (await db.EnqueueAsync(EchoArgs.Kind, new { n = 1 }, queue: "schema")).JobId;
        var second = (await db.EnqueueAsync(EchoArgs.Kind, new { n = 2 }, queue: "schema")).JobId;
        var (wakeups, _) = await DrainAsync();
        Assert.Equal(["schema", "schema"], wakeups);

        // Claim: the batch function sends an array.
        await db.CountAsync("SELECT count(*) FROM claim_jobs('schema', 'w-schema', 10, 30)");
        var (_, onClaim) = await DrainAsync();
        var claimed = Assert.Single(onClaim);
        Assert.StartsWith("[", claimed.Payload);
        Assert.False(JobNotifications.MayRequestCancel(claimed.Payload));
        Assert.Equal(new[] { first, second }.Order(), claimed.Changes.Select(c => c.Id).Order());
        Assert.All(claimed.Changes, c =>
        {
            Assert.Equal(db.UserId, c.UserId);
            Assert.Equal(EchoArgs.Kind, c.JobType);
            Assert.Equal(JobStatus.Processing, c.Status);
            Assert.Equal(0, c.Progress);
            Assert.False(c.CancelRequested);
        });

        // Progress: the row trigger sends one object.
        await db.CountAsync($"SELECT count(*) FROM update_job_progress('{first}', 'w-schema', 40, 'step 2 of 5')");
        var progressed = Assert.Single((await DrainAsync()).Progress);
        Assert.StartsWith("{", progressed.Payload);
        Assert.Equal(new JobChange(first, db.UserId, EchoArgs.Kind, JobStatus.Processing, 40, "step 2 of 5", false), Assert.Single(progressed.Changes));

        // Cancel of a running job: the change that stops its handler.
        Assert.Equal("cancel_requested", await db.CancelAsync(first));
        var cancel = Assert.Single((await DrainAsync()).Progress);
        Assert.True(JobNotifications.MayRequestCancel(cancel.Payload));
        Assert.True(Assert.Single(cancel.Changes).CancelRequested);

        // Release (cancelled, since asked) and complete: arrays again; completion of a platform job has no user.
        await db.CountAsync($"SELECT release_jobs('w-schema', ARRAY['{first}']::uuid[])");
        Assert.Equal(JobStatus.Cancelled, Assert.Single(Assert.Single((await DrainAsync()).Progress).Changes).Status);
        await db.CountAsync($"SELECT complete_jobs('w-schema', ARRAY['{second}']::uuid[], ARRAY['{{}}']::jsonb[])");
        var completed = Assert.Single(Assert.Single((await DrainAsync()).Progress).Changes);
        Assert.Equal((second, JobStatus.Completed, 100), (completed.Id, completed.Status, completed.Progress));

        // A platform job (no user) failing: fail_job's row change carries a null user_id.
        var platform = (Guid)(await db.DataSource.CreateCommand(
            "SELECT id FROM create_job(NULL, 'echo', '{}'::jsonb, p_queue => 'schema', p_max_attempts => 1)").ExecuteScalarAsync())!;
        await db.CountAsync("SELECT count(*) FROM claim_jobs('schema', 'w-schema', 10, 30)");
        await DrainAsync();
        await db.CountAsync($"SELECT count(*) FROM fail_job('{platform}', 'w-schema', 'boom', 0, false)");
        var failed = Assert.Single(Assert.Single((await DrainAsync()).Progress).Changes);
        Assert.Equal((platform, (Guid?)null, JobStatus.Failed), (failed.Id, failed.UserId, failed.Status));
    }

    [Fact]
    public void A_payload_missing_a_required_field_or_not_json_is_refused()
    {
        Assert.Throws<JsonException>(() => JobNotifications.ParseJobChanges("""{"id": "0198a3c0-0000-7000-8000-000000000001"}"""));
        Assert.Throws<JsonException>(() => JobNotifications.ParseJobChanges("not json"));
        Assert.Throws<JsonException>(() => JobNotifications.ParseJobChanges(""));
    }

    private static IReadOnlyList<JobChange> ReadStrictly(string payload)
    {
        var strict = payload.StartsWith('[')
            ? JsonSerializer.Deserialize<JobChange[]>(payload, Strict)!
            : [JsonSerializer.Deserialize<JobChange>(payload, Strict)!];
        Assert.Equal(strict, JobNotifications.ParseJobChanges(payload));
        return strict;
    }
}

/// <summary>
/// A running job's cancel request arrives over NOTIFY whatever JSON formatting the SQL uses: here <c>job_change()</c>
/// switched to <c>jsonb_build_object</c> (<c>"cancel_requested": true</c>, no space before the colon). With polling
/// and heartbeats far apart, only the notification can stop the job within a second.
/// </summary>
public sealed class CancelNotificationFormatTests(QueueDatabase db) : IClassFixture<QueueDatabase>
{
    [Fact]
    public async Task A_cancel_request_formatted_by_jsonb_stops_the_running_job_within_a_second()
    {
        await using (var replace = db.DataSource.CreateCommand("""
            CREATE OR REPLACE FUNCTION job_change(
                p_id uuid, p_user_id uuid, p_job_type text, p_status text, p_progress integer, p_message text, p_cancel_requested boolean)
            RETURNS json LANGUAGE sql STABLE AS $$
                SELECT jsonb_build_object('id', p_id, 'user_id', p_user_id, 'job_type', p_job_type, 'status', p_status,
                                          'progress', p_progress, 'message', left(p_message, 200), 'cancel_requested', p_cancel_requested)::json
            $$
            """))
        {
            await replace.ExecuteNonQueryAsync();
        }

        await using var worker = await WorkerHost.StartAsync(db.ConnectionString, settings: new Dictionary<string, string?>
        {
            ["Workers:HeartbeatInterval"] = "00:00:10",
            ["Workers:LeaseDuration"] = "00:00:30",
        });
        var enqueued = await db.EnqueueAsync(EchoArgs.Kind, new { delay_ms = 60_000, tag = "cancel-jsonb" });
        await db.WaitForStatusAsync(enqueued.JobId, JobStatus.Processing);
        await Task.Delay(500); // past the claim: the handler is running

        var stopwatch = Stopwatch.StartNew();
        Assert.Equal("cancel_requested", await db.CancelAsync(enqueued.JobId));
        await db.WaitForStatusAsync(enqueued.JobId, JobStatus.Cancelled, TimeSpan.FromSeconds(15));

        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(1.5), $"cancelled after {stopwatch.Elapsed}");
    }
}
