using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Npgsql;
using NpgsqlTypes;

namespace Platform.Core.Jobs;

/// <summary>
/// Enqueues jobs with <c>create_job(...)</c> on the caller's connection and transaction, so a job is created
/// exactly when the caller's own writes commit (transactional enqueue). Idempotency keys and result caching are
/// enforced by the database function.
/// </summary>
public static class JobQueueClient
{
    public static async Task<EnqueueResult> EnqueueAsync(
        NpgsqlConnection connection, NpgsqlTransaction? transaction, EnqueueRequest request, CancellationToken cancellationToken = default)
    {
        if (!JobTypes.TryGet(request.JobType, out var definition))
        {
            throw new ArgumentException($"Unknown job type '{request.JobType}'.", nameof(request));
        }

        var payloadJson = request.Payload.ValueKind == JsonValueKind.Undefined ? "{}" : request.Payload.GetRawText();
        var activity = Activity.Current;
        await using var command = new NpgsqlCommand(
            """
            SELECT id, status, created FROM create_job(
                p_user_id => @user_id, p_job_type => @job_type, p_payload => @payload, p_queue => @queue,
                p_priority => @priority, p_run_at => @run_at, p_idempotency_key => @idempotency_key,
                p_max_attempts => @max_attempts, p_cache_key => @cache_key, p_timeout_seconds => @timeout_seconds,
                p_trace_parent => @trace_parent, p_trace_state => @trace_state)
            """,
            connection,
            transaction);
        command.Parameters.Add(new NpgsqlParameter("user_id", NpgsqlDbType.Uuid) { Value = (object?)request.UserId ?? DBNull.Value });
        command.Parameters.AddWithValue("job_type", request.JobType);
        command.Parameters.Add(new NpgsqlParameter("payload", NpgsqlDbType.Jsonb) { Value = payloadJson });
        command.Parameters.AddWithValue("queue", request.Queue ?? definition.Queue);
        command.Parameters.AddWithValue("priority", request.Priority);
        command.Parameters.Add(new NpgsqlParameter("run_at", NpgsqlDbType.TimestampTz) { Value = (object?)request.RunAt ?? DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter("idempotency_key", NpgsqlDbType.Text) { Value = (object?)request.IdempotencyKey ?? DBNull.Value });
        command.Parameters.AddWithValue("max_attempts", request.MaxAttempts ?? definition.MaxAttempts);
        command.Parameters.Add(new NpgsqlParameter("cache_key", NpgsqlDbType.Text)
        {
            Value = definition.CacheTtl is null ? DBNull.Value : CacheKey(payloadJson),
        });
        command.Parameters.AddWithValue("timeout_seconds", (int)Math.Ceiling(definition.Timeout.TotalSeconds));
        command.Parameters.Add(new NpgsqlParameter("trace_parent", NpgsqlDbType.Text)
        {
            Value = (object?)request.TraceParent ?? activity?.Id ?? (object)DBNull.Value,
        });
        command.Parameters.Add(new NpgsqlParameter("trace_state", NpgsqlDbType.Text)
        {
            Value = (object?)request.TraceState ?? activity?.TraceStateString ?? (object)DBNull.Value,
        });

        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        var status = reader.GetString(1);
        var created = reader.GetBoolean(2);
        return new EnqueueResult(reader.GetGuid(0), status, created, FromCache: created && status == JobStatus.Completed);
    }

    /// <summary>
    /// The result-cache key of a payload: SHA-256 of its canonical JSON (object keys sorted), so key order and
    /// whitespace do not defeat the cache.
    /// </summary>
    public static string CacheKey(string payloadJson)
    {
        using var document = JsonDocument.Parse(payloadJson);
        var buffer = new StringBuilder();
        WriteCanonical(document.RootElement, buffer);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(buffer.ToString())));
    }

    private static void WriteCanonical(JsonElement element, StringBuilder buffer)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                buffer.Append('{');
                var first = true;
                foreach (var property in element.EnumerateObject().OrderBy(p => p.Name, StringComparer.Ordinal))
                {
                    buffer.Append(first ? string.Empty : ",").Append(JsonSerializer.Serialize(property.Name)).Append(':');
                    WriteCanonical(property.Value, buffer);
                    first = false;
                }

                buffer.Append('}');
                break;
            case JsonValueKind.Array:
                buffer.Append('[');
                var index = 0;
                foreach (var item in element.EnumerateArray())
                {
                    buffer.Append(index++ == 0 ? string.Empty : ",");
                    WriteCanonical(item, buffer);
                }

                buffer.Append(']');
                break;
            default:
                buffer.Append(element.GetRawText());
                break;
        }
    }
}
