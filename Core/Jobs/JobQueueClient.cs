using System.Buffers;
using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Npgsql;
using NpgsqlTypes;

namespace Platform.Core.Jobs;

/// <summary>
/// Enqueues jobs on the caller's connection and transaction, so a job is created exactly when the caller's own writes
/// commit (transactional enqueue). One job: <c>create_job(...)</c> (idempotency keys and result caching enforced by the
/// database function). Many: <c>create_jobs_bulk(...)</c>, one statement per job type, all sent in one round trip; or,
/// each with its own owner and idempotency key, one <c>create_job</c> per job in one round trip.
/// Typed args (<see cref="IJobArgs{TSelf}"/>) are serialized by <see cref="JobPayload"/>.
/// </summary>
public static class JobQueueClient
{
    private static readonly EnqueueOptions Defaults = new();

    /// <summary>Enqueues one job of <paramref name="args"/>' type; <paramref name="options"/> override the type's defaults.</summary>
    /// <exception cref="ArgumentException">The args type is not listed in <see cref="JobTypes"/>.</exception>
    public static Task<EnqueueResult> EnqueueAsync<TArgs>(
        NpgsqlConnection connection, NpgsqlTransaction? transaction, TArgs args, EnqueueOptions? options = null, CancellationToken cancellationToken = default)
        where TArgs : IJobArgs =>
        CreateJobAsync(connection, transaction, Cataloged(args.JobType), JobPayload.Serialize(args), options ?? Defaults, cancellationToken);

    /// <summary>Enqueues one job from a job type's name and a JSON payload (checked by the caller, e.g. with <see cref="JobTypes.CheckPayload"/>).</summary>
    /// <exception cref="ArgumentException">No job type is named <see cref="EnqueueRequest.JobType"/>.</exception>
    public static Task<EnqueueResult> EnqueueAsync(
        NpgsqlConnection connection, NpgsqlTransaction? transaction, EnqueueRequest request, CancellationToken cancellationToken = default)
    {
        if (!JobTypes.TryGet(request.JobType, out var definition))
        {
            throw new ArgumentException($"Unknown job type '{request.JobType}'.", nameof(request));
        }

        var payloadJson = request.Payload.ValueKind == JsonValueKind.Undefined ? "{}" : request.Payload.GetRawText();
        return CreateJobAsync(connection, transaction, definition, payloadJson, request, cancellationToken);
    }

    /// <summary>
    /// Enqueues every job of <paramref name="jobs"/> (any mix of job types) in one round trip: one
    /// <c>create_jobs_bulk</c> statement per job type, batched. Returns how many jobs were created. Options apply to
    /// all of them (unset ones from each type's definition). A batch has no idempotency keys and does not consult the
    /// result cache: enqueue one at a time for either. The jobs' ids are generated here, UUIDv7 ascending in the
    /// order of <paramref name="jobs"/> (<see cref="JobIds"/>), so each of the batch's index entries keyed by the id
    /// lands at the right edge of its btree.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="options"/> sets an idempotency key, or an args type is not listed in <see cref="JobTypes"/>.</exception>
    public static async Task<int> EnqueueManyAsync(
        NpgsqlConnection connection, NpgsqlTransaction? transaction, IEnumerable<IJobArgs> jobs, EnqueueOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        options ??= Defaults;
        if (options.IdempotencyKey is not null)
        {
            throw new ArgumentException("A batch enqueue takes no idempotency key; enqueue one job at a time for that.", nameof(options));
        }

        var payloads = new ArrayBufferWriter<byte>(256);
        var groups = SerializeByType(jobs, payloads);
        if (groups.Count == 0)
        {
            return 0;
        }

        await using var batch = new NpgsqlBatch(connection, transaction);
        foreach (var group in groups)
        {
            var command = new NpgsqlBatchCommand(
                """
                SELECT create_jobs_bulk(
                    p_user_id => @user_id, p_job_type => @job_type, p_payloads => @payloads, p_queue => @queue,
                    p_priority => @priority, p_ids => @ids, p_run_at => @run_at, p_max_attempts => @max_attempts,
                    p_timeout_seconds => @timeout_seconds, p_trace_parent => @trace_parent, p_trace_state => @trace_state)
                """);
            var slices = new ReadOnlyMemory<byte>[group.Payloads.Count];
            var written = payloads.WrittenMemory;
            for (var i = 0; i < slices.Length; i++)
            {
                slices[i] = written[group.Payloads[i]];
            }

            command.Parameters.Add(new NpgsqlParameter<ReadOnlyMemory<byte>[]>("payloads", NpgsqlDbType.Array | NpgsqlDbType.Jsonb) { TypedValue = slices });
            command.Parameters.Add(new NpgsqlParameter<Guid[]>("ids", NpgsqlDbType.Array | NpgsqlDbType.Uuid) { TypedValue = JobIds.Ascending(slices.Length) });
            AddOptions(command.Parameters, Cataloged(group.Definition), options);
            batch.BatchCommands.Add(command);
        }

        var created = 0;
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        do
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                created += reader.GetInt32(0);
            }
        }
        while (await reader.NextResultAsync(cancellationToken));

        return created;
    }

    /// <summary>One job type's payloads in a batch: its definition and where each payload is in the shared buffer.</summary>
    private sealed record PayloadGroup(JobTypeDefinition Definition, List<Range> Payloads);

    /// <summary>
    /// Writes the payload JSON (UTF-8) of every job into <paramref name="buffer"/>, grouped by job type in order of
    /// first appearance: one pass, each payload serialized once with its runtime type's cached contract
    /// (<see cref="JobPayload.Options"/>), no string per payload.
    /// </summary>
    private static List<PayloadGroup> SerializeByType(IEnumerable<IJobArgs> jobs, ArrayBufferWriter<byte> buffer)
    {
        var groups = new List<PayloadGroup>(2);
        var capacity = jobs.TryGetNonEnumeratedCount(out var count) ? count : 0;
        using var writer = new Utf8JsonWriter(buffer);
        PayloadGroup? current = null;
        Type? currentType = null;
        JsonTypeInfo? typeInfo = null;
        foreach (var args in jobs)
        {
            var type = args.GetType();
            if (type != currentType)
            {
                currentType = type;
                typeInfo = JobPayload.Options.GetTypeInfo(type);
                var definition = args.JobType;
                if (current is null || !ReferenceEquals(current.Definition, definition))
                {
                    current = groups.Find(g => ReferenceEquals(g.Definition, definition));
                    if (current is null)
                    {
                        current = new PayloadGroup(definition, new List<Range>(groups.Count == 0 ? capacity : 0));
                        groups.Add(current);
                    }
                }
            }

            var start = buffer.WrittenCount;
            JsonSerializer.Serialize(writer, args, typeInfo!);
            writer.Flush();
            writer.Reset();
            current!.Payloads.Add(start..buffer.WrittenCount);
        }

        return groups;
    }

    /// <summary>
    /// Enqueues each job of <paramref name="jobs"/> with its own options (owner, idempotency key, ...) in one round trip:
    /// one <c>create_job</c> per job, sent as one batch, so each keeps everything a single enqueue does (an idempotency
    /// key already used answers its existing job, <see cref="EnqueueResult.Created"/> false; the result cache). For
    /// schedules that enqueue many keyed jobs of many owners per tick; <see cref="EnqueueManyAsync"/> is the cheaper
    /// path for many jobs without keys. Returns one result per job, in order (none and no round trip for none).
    /// </summary>
    /// <exception cref="ArgumentException">An args type is not listed in <see cref="JobTypes"/>.</exception>
    public static async Task<EnqueueResult[]> EnqueueEachAsync(
        NpgsqlConnection connection, NpgsqlTransaction? transaction, IReadOnlyList<(IJobArgs Args, EnqueueOptions Options)> jobs,
        CancellationToken cancellationToken = default)
    {
        var results = new EnqueueResult[jobs.Count];
        if (jobs.Count == 0)
        {
            return results;
        }

        await using var batch = new NpgsqlBatch(connection, transaction);
        foreach (var (args, options) in jobs)
        {
            var command = new NpgsqlBatchCommand(CreateJobSql);
            AddCreateJobParameters(command.Parameters, Cataloged(args.JobType), JobPayload.Serialize(args), options);
            batch.BatchCommands.Add(command);
        }

        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        for (var i = 0; i < results.Length; i++)
        {
            if (i > 0)
            {
                await reader.NextResultAsync(cancellationToken);
            }

            results[i] = await ReadEnqueueResultAsync(reader, cancellationToken);
        }

        return results;
    }

    private const string CreateJobSql =
        """
        SELECT id, status, created FROM create_job(
            p_user_id => @user_id, p_job_type => @job_type, p_payload => @payload, p_queue => @queue,
            p_priority => @priority, p_run_at => @run_at, p_idempotency_key => @idempotency_key,
            p_max_attempts => @max_attempts, p_cache_key => @cache_key, p_timeout_seconds => @timeout_seconds,
            p_trace_parent => @trace_parent, p_trace_state => @trace_state)
        """;

    private static async Task<EnqueueResult> CreateJobAsync(
        NpgsqlConnection connection, NpgsqlTransaction? transaction, JobTypeDefinition definition, string payloadJson, EnqueueOptions options,
        CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(CreateJobSql, connection, transaction);
        AddCreateJobParameters(command.Parameters, definition, payloadJson, options);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await ReadEnqueueResultAsync(reader, cancellationToken);
    }

    /// <summary>The parameters of <see cref="CreateJobSql"/>: the payload, the idempotency and result-cache keys, and the options.</summary>
    private static void AddCreateJobParameters(NpgsqlParameterCollection parameters, JobTypeDefinition definition, string payloadJson, EnqueueOptions options)
    {
        parameters.Add(new NpgsqlParameter("payload", NpgsqlDbType.Jsonb) { Value = payloadJson });
        parameters.Add(new NpgsqlParameter("idempotency_key", NpgsqlDbType.Text) { Value = (object?)options.IdempotencyKey ?? DBNull.Value });
        parameters.Add(new NpgsqlParameter("cache_key", NpgsqlDbType.Text)
        {
            Value = definition.CacheTtl is null ? DBNull.Value : CacheKey(payloadJson),
        });
        AddOptions(parameters, definition, options);
    }

    /// <summary>The row <c>create_job</c> answers, at the reader's current result.</summary>
    private static async Task<EnqueueResult> ReadEnqueueResultAsync(NpgsqlDataReader reader, CancellationToken cancellationToken)
    {
        await reader.ReadAsync(cancellationToken);
        var status = reader.GetString(1);
        var created = reader.GetBoolean(2);
        return new EnqueueResult(reader.GetGuid(0), status, created, FromCache: created && status == JobStatus.Completed);
    }

    /// <summary>The parameters <c>create_job</c> and <c>create_jobs_bulk</c> share: the options, else the type's defaults.</summary>
    private static void AddOptions(NpgsqlParameterCollection parameters, JobTypeDefinition definition, EnqueueOptions options)
    {
        var activity = Activity.Current;
        parameters.Add(new NpgsqlParameter("user_id", NpgsqlDbType.Uuid) { Value = (object?)options.UserId ?? DBNull.Value });
        parameters.AddWithValue("job_type", definition.Name);
        parameters.AddWithValue("queue", options.Queue ?? definition.Queue);
        parameters.AddWithValue("priority", options.Priority);
        parameters.Add(new NpgsqlParameter("run_at", NpgsqlDbType.TimestampTz) { Value = (object?)options.RunAt ?? DBNull.Value });
        parameters.AddWithValue("max_attempts", options.MaxAttempts ?? definition.MaxAttempts);
        parameters.AddWithValue("timeout_seconds", (int)Math.Ceiling(definition.Timeout.TotalSeconds));
        parameters.Add(new NpgsqlParameter("trace_parent", NpgsqlDbType.Text)
        {
            Value = (object?)options.TraceParent ?? activity?.Id ?? (object)DBNull.Value,
        });
        parameters.Add(new NpgsqlParameter("trace_state", NpgsqlDbType.Text)
        {
            Value = (object?)options.TraceState ?? activity?.TraceStateString ?? (object)DBNull.Value,
        });
    }

    private static JobTypeDefinition Cataloged(JobTypeDefinition definition) =>
        JobTypes.TryGet(definition.Name, out var listed) && ReferenceEquals(listed, definition)
            ? definition
            : throw new ArgumentException($"Job type '{definition.Name}' is not listed in Core/Jobs/JobTypes.cs.");

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
