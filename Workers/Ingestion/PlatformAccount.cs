using Npgsql;

namespace Platform.Workers.Ingestion;

/// <summary>A <c>platform_account</c> row as the importers need it (<paramref name="IsVerified"/>: its owner proved ownership, migration 018).</summary>
public sealed record PlatformAccount(
    Guid Id,
    Guid UserId,
    string Platform,
    string ExternalId,
    string? Handle,
    string? Url,
    string? UploadsPlaylistId,
    string? ETag,
    string? LastModified,
    TimeSpan? SyncInterval,
    bool IsActive,
    bool IsVerified = false)
{
    public static async Task<PlatformAccount?> FindAsync(NpgsqlDataSource dataSource, Guid id, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            """
            SELECT id, user_id, platform, external_id, handle, url, uploads_playlist_id, etag, last_modified, sync_interval, is_active,
                   verification_status = 'verified'
            FROM platform_account WHERE id = @id
            """);
        command.Parameters.AddWithValue("id", id);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return null;
        }

        return new PlatformAccount(
            reader.GetGuid(0),
            reader.GetGuid(1),
            reader.GetString(2),
            reader.GetString(3),
            reader.IsDBNull(4) ? null : reader.GetString(4),
            reader.IsDBNull(5) ? null : reader.GetString(5),
            reader.IsDBNull(6) ? null : reader.GetString(6),
            reader.IsDBNull(7) ? null : reader.GetString(7),
            reader.IsDBNull(8) ? null : reader.GetString(8),
            reader.IsDBNull(9) ? null : reader.GetTimeSpan(9),
            reader.GetBoolean(10),
            reader.GetBoolean(11));
    }
}
