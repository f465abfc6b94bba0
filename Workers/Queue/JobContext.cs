using System.Text.Json;
using Npgsql;
using Platform.Core.Data;
using Platform.Core.Jobs;

namespace Platform.Workers.Queue;

/// <summary>What a handler gets besides its args: the job, its attempt, its DI scope, and progress reporting.</summary>
public sealed class JobContext
{
    private readonly NpgsqlDataSource dataSource;
    private readonly IServiceScopeFactory? scopes;
    private IServiceProvider? services;
    private AsyncServiceScope? scope;

    /// <summary>A context whose <see cref="Services"/> is <paramref name="services"/> (a scope the caller owns).</summary>
    public JobContext(JobRecord job, string workerId, NpgsqlDataSource dataSource, IServiceProvider services)
    {
        Job = job;
        WorkerId = workerId;
        this.dataSource = dataSource;
        this.services = services;
    }

    /// <summary>
    /// A context that creates its DI scope from <paramref name="scopes"/> only when <see cref="Services"/> is first read
    /// (a handler built without services mostly never does); <see cref="DisposeScopeAsync"/> ends it.
    /// </summary>
    internal JobContext(JobRecord job, string workerId, NpgsqlDataSource dataSource, IServiceScopeFactory scopes)
    {
        Job = job;
        WorkerId = workerId;
        this.dataSource = dataSource;
        this.scopes = scopes;
    }

    public JobRecord Job { get; }

    /// <summary>1 for the first try.</summary>
    public int Attempt => Job.Attempts;

    public string WorkerId { get; }

    /// <summary>The job's DI scope.</summary>
    public IServiceProvider Services => services ??= CreateScope();

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

    /// <summary>Ends the scope <see cref="Services"/> created, if it created one.</summary>
    internal ValueTask DisposeScopeAsync() => scope is { } created ? created.DisposeAsync() : ValueTask.CompletedTask;

    private IServiceProvider CreateScope()
    {
        var created = scopes!.CreateAsyncScope();
        scope = created;
        return created.ServiceProvider;
    }
}
