using System.Text.Json;
using Npgsql;
using Platform.Core.Data;
using Platform.Core.Jobs;

namespace Platform.Workers.Queue;

/// <summary>What a handler gets besides its args: the job, its attempt, its DI scope, and progress reporting.</summary>
public sealed class JobContext(JobRecord job, string workerId, NpgsqlDataSource dataSource, IServiceProvider services)
{
    public JobRecord Job { get; } = job;

    /// <summary>1 for the first try.</summary>
    public int Attempt => Job.Attempts;

    public string WorkerId { get; } = workerId;

    /// <summary>The job's DI scope.</summary>
    public IServiceProvider Services { get; } = services;

    /// <summary>The payload as stored; <see cref="JobHandler{TArgs}"/> hands it to the handler bound to its args record.</summary>
    public JsonElement Payload => Job.Payload;

    /// <summary>
    /// Reports progress (0-100) and a message (stored up to 1,000 characters, made storable with
    /// <see cref="PostgresText.Clean"/>: it often quotes remote text); clients see it over SSE and WebSocket at once.
    /// </summary>
    public async Task ReportProgressAsync(int percent, string? message = null, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand("SELECT update_job_progress(@id, @worker, @progress, @message)");
        command.Parameters.AddWithValue("id", Job.Id);
        command.Parameters.AddWithValue("worker", WorkerId);
        command.Parameters.AddWithValue("progress", Math.Clamp(percent, 0, 100));
        command.Parameters.Add(new NpgsqlParameter("message", NpgsqlTypes.NpgsqlDbType.Text) { Value = (object?)PostgresText.Clean(message) ?? DBNull.Value });
        await command.ExecuteScalarAsync(cancellationToken);
    }
}
