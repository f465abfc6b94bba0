using System.Text.Json;
using Platform.Core.Data;
using Platform.Core.Jobs;

namespace Platform.Api.Features.Platforms;

/// <summary>
/// The first sync of a newly connected account, enqueued in the caller's transaction (<paramref name="scope"/>) so the
/// account and its job commit together; its id is remembered in <c>platform_account.sync_state.last_job_id</c> (shown as
/// <c>sync_job_id</c>). Used by <c>POST /api/me/platforms</c> and the YouTube OAuth callback.
/// </summary>
public static class FirstSync
{
    /// <summary>Enqueues <paramref name="jobType"/> for the account (idempotency key <c>connect:{accountId}</c>); returns the job id.</summary>
    public static async Task<Guid> EnqueueAsync(UserScope scope, Guid userId, Guid accountId, string jobType, CancellationToken ct)
    {
        var job = await JobQueueClient.EnqueueAsync(scope.Connection, scope.Transaction, new EnqueueRequest(
            jobType, JsonSerializer.SerializeToElement(new Dictionary<string, Guid> { ["platform_account_id"] = accountId }))
        {
            UserId = userId,
            IdempotencyKey = $"connect:{accountId}",
        }, ct);
        await using var remember = scope.CreateCommand(
            "UPDATE platform_account SET sync_state = sync_state || jsonb_build_object('last_job_id', @job::text) WHERE id = @id");
        remember.Parameters.AddWithValue("job", job.JobId);
        remember.Parameters.AddWithValue("id", accountId);
        await remember.ExecuteNonQueryAsync(ct);
        return job.JobId;
    }
}
