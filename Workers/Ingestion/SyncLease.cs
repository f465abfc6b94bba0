using Npgsql;
using Platform.Core.Data;

namespace Platform.Workers.Ingestion;

/// <summary>
/// One sync per account at a time, whatever enqueued it (connect, schedule, a retry): the running job's id and a
/// deadline in <c>platform_account.sync_state</c>. The same job (a retry or a rescued attempt) may take it again; a
/// lease past its deadline (a job that died) may be taken by anyone.
/// </summary>
public static class SyncLease
{
    public static async Task<bool> TryAcquireAsync(NpgsqlDataSource dataSource, Guid accountId, Guid jobId, TimeSpan duration, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            """
            UPDATE platform_account
            SET sync_state = sync_state || jsonb_build_object('running_job', @job::text, 'running_until', now() + @duration)
            WHERE id = @id
              AND (sync_state ->> 'running_job' IS NULL
                   OR sync_state ->> 'running_job' = @job::text
                   OR (sync_state ->> 'running_until')::timestamptz < now())
            """);
        command.Parameters.AddWithValue("id", accountId);
        command.Parameters.AddWithValue("job", jobId);
        command.Parameters.AddWithValue("duration", duration);
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    public static async Task ReleaseAsync(NpgsqlDataSource dataSource, Guid accountId, Guid jobId)
    {
        await using var command = dataSource.CreateCommand(
            """
            UPDATE platform_account SET sync_state = sync_state - 'running_job' - 'running_until'
            WHERE id = @id AND sync_state ->> 'running_job' = @job::text
            """);
        command.Parameters.AddWithValue("id", accountId);
        command.Parameters.AddWithValue("job", jobId);
        await command.ExecuteNonQueryAsync(CancellationToken.None);
    }

    /// <summary>A finished sync: when it ran, when the schedule runs it next, and what the importer learned about the account.</summary>
    public static async Task CompleteAsync(
        NpgsqlConnection connection,
        NpgsqlTransaction? transaction,
        PlatformAccount account,
        TimeSpan defaultInterval,
        CancellationToken cancellationToken,
        string? externalId = null,
        string? handle = null,
        string? title = null,
        string? uploadsPlaylistId = null,
        string? etag = null,
        string? lastModified = null)
    {
        await using var command = new NpgsqlCommand(
            """
            UPDATE platform_account SET
                external_id         = coalesce(@external_id, external_id),
                handle              = coalesce(@handle, handle),
                title               = coalesce(@title, title),
                uploads_playlist_id = coalesce(@uploads, uploads_playlist_id),
                etag                = coalesce(@etag, etag),
                last_modified       = coalesce(@last_modified, last_modified),
                last_synced_at      = now(),
                next_sync_at        = now() + coalesce(sync_interval, @interval)
            WHERE id = @id
            """,
            connection,
            transaction);
        command.Parameters.AddWithValue("id", account.Id);
        command.Parameters.AddWithValue("interval", defaultInterval);
        foreach (var (name, value) in new[] { ("external_id", externalId), ("handle", handle), ("title", title), ("uploads", uploadsPlaylistId), ("etag", etag), ("last_modified", lastModified) })
        {
            // All of these come from the platform (channel title, handle, validators): made storable first.
            command.Parameters.Add(new NpgsqlParameter(name, NpgsqlTypes.NpgsqlDbType.Text) { Value = (object?)PostgresText.Clean(value) ?? DBNull.Value });
        }

        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
