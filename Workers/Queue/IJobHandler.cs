using System.Text.Json.Nodes;

namespace Platform.Workers.Queue;

/// <summary>
/// Runs one job type; what the dispatcher calls. Handlers derive from <see cref="JobHandler{TArgs}"/>, which binds the
/// payload to the type's args record and implements this. Return the
/// result (stored with the job); throw to fail the attempt (retried with backoff until attempts run out),
/// <see cref="PermanentJobFailureException"/> to fail without retry, or <see cref="JobRescheduleException"/> to run
/// again later without using an attempt. Honour the CancellationToken: it fires on cancellation, timeout and shutdown.
/// </summary>
public interface IJobHandler
{
    Task<JsonNode?> HandleAsync(JobContext context, CancellationToken cancellationToken);
}

/// <summary>Fails the job at once, whatever attempts remain (bad input, missing resource).</summary>
public sealed class PermanentJobFailureException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>Puts the job back to pending until <see cref="RunAt"/> without consuming an attempt (e.g. API quota exhausted).</summary>
public sealed class JobRescheduleException(DateTimeOffset runAt, string reason) : Exception(reason)
{
    public DateTimeOffset RunAt { get; } = runAt;
}
