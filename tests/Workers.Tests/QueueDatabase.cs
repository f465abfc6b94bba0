using System.Text.Json;
using Npgsql;
using Platform.Core.Jobs;
using Platform.TestSupport;

namespace Platform.Workers.Tests;

/// <summary>A migrated database with helpers to enqueue jobs and watch them.</summary>
public class QueueDatabase : MigratedDatabase
{
    public Guid UserId { get; } = Guid.NewGuid();

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        await using var command = DataSource.CreateCommand("SELECT ensure_user(@id)");
        command.Parameters.AddWithValue("id", UserId);
        await command.ExecuteNonQueryAsync();
    }

    public async Task<EnqueueResult> EnqueueAsync(string jobType, object payload, string? idempotencyKey = null, int? maxAttempts = null, string? queue = null)
    {
        await using var connection = await DataSource.OpenConnectionAsync();
        return await JobQueueClient.EnqueueAsync(connection, null, new EnqueueRequest(jobType, JsonSerializer.SerializeToElement(payload))
        {
            UserId = UserId,
            IdempotencyKey = idempotencyKey,
            MaxAttempts = maxAttempts,
            Queue = queue,
        });
    }

    public async Task<JobRecord> GetAsync(Guid id)
    {
        await using var command = DataSource.CreateCommand($"SELECT {JobRecord.Columns} FROM job_queue WHERE id = @id");
        command.Parameters.AddWithValue("id", id);
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync(), $"job {id} not found");
        return JobRecord.Read(reader);
    }

    /// <summary>Waits until the job satisfies <paramref name="condition"/>; fails with its last state after the timeout.</summary>
    public async Task<JobRecord> WaitForAsync(Guid id, Func<JobRecord, bool> condition, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (true)
        {
            var job = await GetAsync(id);
            if (condition(job))
            {
                return job;
            }

            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"job {id} stayed {job.Status} (attempts {job.Attempts}, error {job.Error})");
            }

            await Task.Delay(50);
        }
    }

    public Task<JobRecord> WaitForStatusAsync(Guid id, string status, TimeSpan? timeout = null) =>
        WaitForAsync(id, j => j.Status == status, timeout);

    public async Task<List<string>> EventsAsync(Guid id)
    {
        await using var command = DataSource.CreateCommand("SELECT event FROM job_log WHERE job_id = @id ORDER BY id");
        command.Parameters.AddWithValue("id", id);
        await using var reader = await command.ExecuteReaderAsync();
        var events = new List<string>();
        while (await reader.ReadAsync())
        {
            events.Add(reader.GetString(0));
        }

        return events;
    }

    public async Task<long> CountAsync(string sql, params (string Name, object Value)[] parameters)
    {
        await using var command = DataSource.CreateCommand(sql);
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        return Convert.ToInt64(await command.ExecuteScalarAsync());
    }

    public async Task<string?> CancelAsync(Guid id)
    {
        await using var command = DataSource.CreateCommand("SELECT cancel_job(@id, @user)");
        command.Parameters.AddWithValue("id", id);
        command.Parameters.AddWithValue("user", UserId);
        return await command.ExecuteScalarAsync() as string;
    }
}
