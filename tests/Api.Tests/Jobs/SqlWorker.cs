using Npgsql;

namespace Platform.Api.Tests.Jobs;

/// <summary>
/// Moves a job through its states with the same SQL functions the Workers use (claim, progress, complete), so the
/// Api's reads and live streams are tested against real state changes and real NOTIFYs.
/// </summary>
public sealed class SqlWorker(NpgsqlDataSource dataSource, string queue = "default")
{
    public string WorkerId { get; } = "sql-worker-" + Guid.NewGuid().ToString("N")[..6];

    public async Task<Guid[]> ClaimAsync(int limit = 10)
    {
        await using var command = dataSource.CreateCommand("SELECT id FROM claim_jobs(@queue, @worker, @limit, 30)");
        command.Parameters.AddWithValue("queue", queue);
        command.Parameters.AddWithValue("worker", WorkerId);
        command.Parameters.AddWithValue("limit", limit);
        var ids = new List<Guid>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            ids.Add(reader.GetGuid(0));
        }

        return ids.ToArray();
    }

    public async Task ProgressAsync(Guid id, int percent, string message)
    {
        await using var command = dataSource.CreateCommand("SELECT update_job_progress(@id, @worker, @progress, @message)");
        command.Parameters.AddWithValue("id", id);
        command.Parameters.AddWithValue("worker", WorkerId);
        command.Parameters.AddWithValue("progress", percent);
        command.Parameters.AddWithValue("message", message);
        Assert.True((bool)(await command.ExecuteScalarAsync())!);
    }

    public async Task CompleteAsync(Guid id, string resultJson, int? cacheTtlSeconds = null)
    {
        await using var command = dataSource.CreateCommand("SELECT complete_job(@id, @worker, @result::jsonb, @ttl)");
        command.Parameters.AddWithValue("id", id);
        command.Parameters.AddWithValue("worker", WorkerId);
        command.Parameters.AddWithValue("result", resultJson);
        command.Parameters.Add(new NpgsqlParameter("ttl", NpgsqlTypes.NpgsqlDbType.Integer) { Value = (object?)cacheTtlSeconds ?? DBNull.Value });
        Assert.True((bool)(await command.ExecuteScalarAsync())!);
    }
}
