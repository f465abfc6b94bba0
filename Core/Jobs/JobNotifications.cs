using System.Text.Json;
using System.Text.Json.Serialization;

namespace Platform.Core.Jobs;

/// <summary>
/// One job's state change as NOTIFY <c>job_progress</c> carries it: the SQL function <c>job_change()</c> (migration
/// 008) builds it for every claim, completion, failure, retry, progress report, release, rescue and cancel request,
/// except claims and completions of jobs without an owner (<see cref="UserId"/> null; migration 031), which no reader needs.
/// A cancel request is a change with <see cref="CancelRequested"/> true. The result is not sent (NOTIFY payloads are
/// limited to 8000 bytes): readers re-read the job for it.
/// </summary>
/// <param name="Id">The job's id.</param>
/// <param name="UserId">Its owner; null for platform jobs (schedules, webhooks).</param>
/// <param name="JobType">Its type, e.g. <c>echo</c>.</param>
/// <param name="Status">One of <see cref="JobStatus"/>'s values, after the change.</param>
/// <param name="Progress">0-100.</param>
/// <param name="Message">The last progress message, cut to 200 characters by the SQL side; null when none.</param>
/// <param name="CancelRequested">The owner asked to cancel it (a running job's handler should stop).</param>
public sealed record JobChange(
    Guid Id, Guid? UserId, string JobType, string Status, int Progress, string? Message, bool CancelRequested);

/// <summary>
/// The queue's NOTIFY channels and their payloads, read with System.Text.Json by the Workers (wake-ups, cancel
/// requests) and the Api (live job streams). <c>tests/Migrations.Tests/JobNotificationSchemaTests.cs</c> runs the
/// real SQL and reads what it sends with these, so a change on either side fails there first.
/// </summary>
public static class JobNotifications
{
    /// <summary>
    /// Wakes the claim loops of one queue: the payload is the queue's name as plain text. Sent for due jobs once per
    /// queue and transaction by <c>create_jobs_bulk</c> and the enqueue row trigger (<c>notify_job_enqueued</c>, 032),
    /// and by <c>release_jobs</c> and <c>rescue_expired_jobs</c>.
    /// </summary>
    public const string QueueWakeupChannel = "job_queue_wakeup";

    /// <summary>
    /// Job state changes: the payload is one <see cref="JobChange"/> object (row trigger <c>notify_job_change</c>) or a
    /// JSON array of up to 16 of them (<c>notify_job_changes</c>, from the batch functions).
    /// </summary>
    public const string JobProgressChannel = "job_progress";

    /// <summary>
    /// Reads a <see cref="JobProgressChannel"/> payload (one object or an array of them) into its changes.
    /// </summary>
    /// <exception cref="JsonException">Not JSON, or a change lacks one of the seven fields,
    /// or a field has the wrong type.</exception>
    public static IReadOnlyList<JobChange> ParseJobChanges(string payload) =>
        payload.AsSpan().TrimStart().StartsWith("[", StringComparison.Ordinal)
            ? JsonSerializer.Deserialize(payload, JobNotificationJson.Default.JobChangeArray) ?? []
            : [JsonSerializer.Deserialize(payload, JobNotificationJson.Default.JobChange)
               ?? throw new JsonException("A null job_progress payload.")];

    /// <summary>
    /// False when <paramref name="payload"/> cannot hold a cancel request: <c>cancel_requested</c> is the only boolean
    /// of a <see cref="JobChange"/>, so a payload without the JSON literal <c>true</c> has none, however the SQL formats
    /// it. Lets a worker skip parsing the claim and completion notifications it gets under load.
    /// </summary>
    public static bool MayRequestCancel(string payload) => payload.AsSpan().IndexOf("true", StringComparison.Ordinal) >= 0;

    /// <summary>The options the payloads are read with (snake_case; every field required: the SQL always sends all seven).</summary>
    public static JsonSerializerOptions SerializerOptions => JobNotificationJson.Default.Options;
}

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    RespectNullableAnnotations = true,
    RespectRequiredConstructorParameters = true)]
[JsonSerializable(typeof(JobChange))]
[JsonSerializable(typeof(JobChange[]))]
internal sealed partial class JobNotificationJson : JsonSerializerContext;
