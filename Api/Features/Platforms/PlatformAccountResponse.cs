using Npgsql;
using Platform.Core.Data;

namespace Platform.Api.Features.Platforms;

/// <summary>
/// Proof that the account's owner owns the source (migration 018). <paramref name="Status"/>: <c>unverified</c> or
/// <c>verified</c>; <paramref name="Method"/>: <c>youtube_oauth</c>, <c>feed_description</c> or
/// <c>feed_home_page_meta</c> (null until verified); <paramref name="Token"/>: what a feed owner publishes in the
/// feed's description/subtitle or in <c>&lt;meta name="platform-verification" content="TOKEN"&gt;</c> on its site's
/// home page, then <c>POST /api/me/platforms/{id}/verify</c>. While unverified (and
/// <c>Ingestion__RequireOwnershipVerification</c> is on) the account's content is imported but not public.
/// </summary>
public sealed record PlatformVerification(string Status, string? Method, DateTimeOffset? VerifiedAt, string Token);

/// <summary>A connected platform account as the API shows it (snake_case on the wire).</summary>
/// <param name="ExternalId">The YouTube channel id (a handle until the first sync resolves it) or the feed URL.</param>
/// <param name="SyncJobId">The latest sync job (follow it at <c>/api/jobs/{id}</c>); <paramref name="SyncStatus"/> is its status.</param>
public sealed record PlatformAccountResponse(
    Guid Id,
    string Platform,
    string ExternalId,
    string? Handle,
    string? Url,
    string? Title,
    bool IsActive,
    int? SyncIntervalSeconds,
    DateTimeOffset? LastSyncedAt,
    DateTimeOffset? NextSyncAt,
    Guid? SyncJobId,
    string? SyncStatus,
    DateTimeOffset CreatedAt,
    PlatformVerification Verification)
{
    private const string Select =
        """
        SELECT a.id, a.platform, a.external_id, a.handle, a.url, a.title, a.is_active,
               extract(epoch FROM a.sync_interval)::integer, a.last_synced_at, a.next_sync_at,
               j.id, j.status, a.created_at,
               a.verification_status, a.verification_method, a.verified_at, a.verification_token
        FROM platform_account a
        LEFT JOIN job_queue j ON j.id = (a.sync_state ->> 'last_job_id')::uuid
        """;

    /// <summary>The caller's accounts (row-level security filters), oldest first; or one of them by id.</summary>
    public static async Task<List<PlatformAccountResponse>> ReadAsync(UserScope scope, Guid? id, CancellationToken cancellationToken)
    {
        await using var command = scope.CreateCommand(
            Select + (id is null ? " ORDER BY a.created_at, a.id" : " WHERE a.id = @id"));
        if (id is not null)
        {
            command.Parameters.AddWithValue("id", id.Value);
        }

        var accounts = new List<PlatformAccountResponse>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            accounts.Add(Read(reader));
        }

        return accounts;
    }

    private static PlatformAccountResponse Read(NpgsqlDataReader reader) => new(
        reader.GetGuid(0),
        reader.GetString(1),
        reader.GetString(2),
        reader.IsDBNull(3) ? null : reader.GetString(3),
        reader.IsDBNull(4) ? null : reader.GetString(4),
        reader.IsDBNull(5) ? null : reader.GetString(5),
        reader.GetBoolean(6),
        reader.IsDBNull(7) ? null : reader.GetInt32(7),
        reader.IsDBNull(8) ? null : reader.GetFieldValue<DateTimeOffset>(8),
        reader.IsDBNull(9) ? null : reader.GetFieldValue<DateTimeOffset>(9),
        reader.IsDBNull(10) ? null : reader.GetGuid(10),
        reader.IsDBNull(11) ? null : reader.GetString(11),
        reader.GetFieldValue<DateTimeOffset>(12),
        new PlatformVerification(
            reader.GetString(13),
            reader.IsDBNull(14) ? null : reader.GetString(14),
            reader.IsDBNull(15) ? null : reader.GetFieldValue<DateTimeOffset>(15),
            reader.GetString(16)));
}
