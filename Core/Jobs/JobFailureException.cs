namespace Platform.Core.Jobs;

/// <summary>
/// Fails this attempt (retried with backoff like any failure) with a message written for the job's owner: it is stored
/// as the job's <c>error</c> as is. Any other exception is stored only as a generic message with the trace id, since its
/// text can carry internal addresses, ports or library detail; the full exception goes to the Workers' logs.
/// </summary>
public class JobFailureException(string message, Exception? inner = null) : Exception(message, inner);
