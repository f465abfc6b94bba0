using System.Text.Json;

namespace Platform.Core.Jobs;

/// <summary>
/// Policies of the content ingestion job types (names in <see cref="JobTypes"/>). They run on their own queue,
/// <see cref="Queue"/>, so slow third-party HTTP never holds up the default queue's short jobs. Only the platform
/// enqueues them (connecting an account, the sync schedule, the syncs themselves).
/// </summary>
public static class IngestionJobTypes
{
    public const string Queue = "ingestion";

    /// <summary>Most content ids in one <c>tag_content</c> / <c>refresh_media</c> payload.</summary>
    public const int MaxContentIdsPerJob = 500;

    /// <summary><c>{"platform_account_id": uuid}</c>. A 10,000-video channel is ~400 API calls; quota exhaustion reschedules without using an attempt.</summary>
    public static readonly JobTypeDefinition SyncYouTubeDefinition = new()
    {
        Name = JobTypes.SyncYouTube,
        Queue = Queue,
        MaxAttempts = 5,
        Timeout = TimeSpan.FromMinutes(30),
        RetryBase = TimeSpan.FromSeconds(30),
        Access = JobAccess.System,
        Validate = ValidateAccountPayload,
    };

    /// <summary><c>{"platform_account_id": uuid}</c>: one conditional GET and one transaction.</summary>
    public static readonly JobTypeDefinition SyncFeedDefinition = new()
    {
        Name = JobTypes.SyncFeed,
        Queue = Queue,
        MaxAttempts = 5,
        Timeout = TimeSpan.FromMinutes(2),
        RetryBase = TimeSpan.FromSeconds(30),
        Access = JobAccess.System,
        Validate = ValidateAccountPayload,
    };

    /// <summary><c>{"content_ids": [uuid, ...]}</c> (at most <see cref="MaxContentIdsPerJob"/>).</summary>
    public static readonly JobTypeDefinition TagContentDefinition = new()
    {
        Name = JobTypes.TagContent,
        Queue = Queue,
        MaxAttempts = 3,
        Timeout = TimeSpan.FromMinutes(5),
        RetryBase = TimeSpan.FromSeconds(10),
        Access = JobAccess.System,
        Validate = ValidateContentIdsPayload,
    };

    /// <summary><c>{"content_ids": [uuid, ...]}</c> (at most <see cref="MaxContentIdsPerJob"/>): every medium of those items is checked.</summary>
    public static readonly JobTypeDefinition RefreshMediaDefinition = new()
    {
        Name = JobTypes.RefreshMedia,
        Queue = Queue,
        MaxAttempts = 3,
        Timeout = TimeSpan.FromMinutes(10),
        RetryBase = TimeSpan.FromMinutes(1),
        Access = JobAccess.System,
        Validate = ValidateContentIdsPayload,
    };

    private static IReadOnlyDictionary<string, string> ValidateAccountPayload(JsonElement payload)
    {
        var errors = new Dictionary<string, string>();
        if (payload.ValueKind != JsonValueKind.Object
            || !payload.TryGetProperty("platform_account_id", out var id)
            || id.ValueKind != JsonValueKind.String
            || !id.TryGetGuid(out _))
        {
            errors["payload.platform_account_id"] = "must be the uuid of a platform account";
        }

        return errors;
    }

    private static IReadOnlyDictionary<string, string> ValidateContentIdsPayload(JsonElement payload)
    {
        var errors = new Dictionary<string, string>();
        if (payload.ValueKind != JsonValueKind.Object
            || !payload.TryGetProperty("content_ids", out var ids)
            || ids.ValueKind != JsonValueKind.Array
            || ids.GetArrayLength() is 0 or > MaxContentIdsPerJob
            || ids.EnumerateArray().Any(id => id.ValueKind != JsonValueKind.String || !id.TryGetGuid(out _)))
        {
            errors["payload.content_ids"] = $"must be an array of 1 to {MaxContentIdsPerJob} content item uuids";
        }

        return errors;
    }
}
