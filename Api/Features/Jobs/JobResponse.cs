using System.Text.Json;
using Platform.Core.Jobs;

namespace Platform.Api.Features.Jobs;

/// <summary>A job as the API shows it (snake_case on the wire).</summary>
public sealed record JobResponse(
    Guid Id,
    string Type,
    string Queue,
    string Status,
    int Progress,
    string? ProgressMessage,
    int Attempts,
    int MaxAttempts,
    int Priority,
    JsonElement Payload,
    JsonElement? Result,
    string? Error,
    string? IdempotencyKey,
    bool CancelRequested,
    DateTimeOffset RunAt,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    DateTimeOffset? StartedAt,
    DateTimeOffset? CompletedAt)
{
    public static JobResponse From(JobRecord job) => new(
        job.Id, job.JobType, job.Queue, job.Status, job.Progress, job.ProgressMessage, job.Attempts, job.MaxAttempts, job.Priority,
        job.Payload, job.Result, job.Error, job.IdempotencyKey, job.CancelRequested, job.RunAt, job.CreatedAt, job.UpdatedAt,
        job.StartedAt, job.CompletedAt);
}
