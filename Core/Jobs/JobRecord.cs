using System.Text.Json;
using Npgsql;

namespace Platform.Core.Jobs;

/// <summary>A row of <c>job_queue</c>.</summary>
public sealed record JobRecord(
    Guid Id,
    Guid? UserId,
    string Queue,
    string JobType,
    JsonElement Payload,
    string Status,
    int Priority,
    DateTimeOffset RunAt,
    int Attempts,
    int MaxAttempts,
    string? IdempotencyKey,
    JsonElement? Result,
    string? Error,
    int Progress,
    string? ProgressMessage,
    int? TimeoutSeconds,
    bool CancelRequested,
    string? TraceParent,
    string? TraceState,
    DateTimeOffset? StartedAt,
    DateTimeOffset? CompletedAt,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    string? CacheKey = null)
{
    /// <summary>The column list <see cref="Read"/> expects, in order (qualify with an alias as needed).</summary>
    public const string Columns =
        "id, user_id, queue, job_type, payload, status, priority, run_at, attempts, max_attempts, idempotency_key, result, error, " +
        "progress, progress_message, timeout_seconds, cancel_requested, trace_parent, trace_state, started_at, completed_at, created_at, updated_at, " +
        "cache_key";

    public static JobRecord Read(NpgsqlDataReader reader) => new(
        reader.GetGuid(0),
        reader.IsDBNull(1) ? null : reader.GetGuid(1),
        reader.GetString(2),
        reader.GetString(3),
        ReadJson(reader, 4) ?? default,
        reader.GetString(5),
        reader.GetInt16(6),
        reader.GetFieldValue<DateTimeOffset>(7),
        reader.GetInt32(8),
        reader.GetInt32(9),
        reader.IsDBNull(10) ? null : reader.GetString(10),
        ReadJson(reader, 11),
        reader.IsDBNull(12) ? null : reader.GetString(12),
        reader.GetInt16(13),
        reader.IsDBNull(14) ? null : reader.GetString(14),
        reader.IsDBNull(15) ? null : reader.GetInt32(15),
        reader.GetBoolean(16),
        reader.IsDBNull(17) ? null : reader.GetString(17),
        reader.IsDBNull(18) ? null : reader.GetString(18),
        reader.IsDBNull(19) ? null : reader.GetFieldValue<DateTimeOffset>(19),
        reader.IsDBNull(20) ? null : reader.GetFieldValue<DateTimeOffset>(20),
        reader.GetFieldValue<DateTimeOffset>(21),
        reader.GetFieldValue<DateTimeOffset>(22),
        reader.IsDBNull(23) ? null : reader.GetString(23));

    private static JsonElement? ReadJson(NpgsqlDataReader reader, int ordinal)
    {
        if (reader.IsDBNull(ordinal))
        {
            return null;
        }

        // One parse into an element that owns its (unpooled) buffer: no pooled document and no clone of it.
        return JsonElement.Parse(reader.GetString(ordinal));
    }
}
