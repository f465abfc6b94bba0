using Npgsql;

namespace Platform.Workers.Ingestion.YouTube;

/// <summary>
/// One walk of a channel's uploads playlist, shared by every account of that channel (<c>youtube_channel_walk</c>,
/// migration 019). A sync that walked to the end of the playlist records it; a sync of ANOTHER account of the same
/// channel (a second user, or the same creator reconnected: a new account) that finds such a walk younger than
/// <see cref="YouTubeOptions.SharedWalkMaxAge"/> walks only the uploads not stored yet: it stops at the first page whose
/// videos are all stored already (uploads are listed newest first). The account that made the walk keeps walking the
/// whole list on its schedule, so changes and removals of older videos are still seen once per sync interval.
/// </summary>
public static class ChannelWalks
{
    /// <summary>Whether another account walked this channel to its end within <paramref name="maxAge"/>.</summary>
    public static async Task<bool> WalkedRecentlyByAnotherAsync(
        NpgsqlDataSource dataSource, string channelId, Guid accountId, TimeSpan maxAge, CancellationToken cancellationToken)
    {
        if (maxAge <= TimeSpan.Zero)
        {
            return false;
        }

        await using var command = dataSource.CreateCommand(
            """
            SELECT EXISTS (SELECT 1 FROM youtube_channel_walk
                           WHERE channel_id = @channel AND walked_at > now() - @max_age
                             AND platform_account_id IS DISTINCT FROM @account)
            """);
        command.Parameters.AddWithValue("channel", channelId);
        command.Parameters.AddWithValue("max_age", maxAge);
        command.Parameters.AddWithValue("account", accountId);
        return (bool)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>Records that <paramref name="accountId"/> just walked the channel's uploads to the end.</summary>
    public static async Task RecordAsync(NpgsqlDataSource dataSource, string channelId, Guid accountId, int videos, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            """
            INSERT INTO youtube_channel_walk (channel_id, platform_account_id, walked_at, videos)
            VALUES (@channel, @account, now(), @videos)
            ON CONFLICT (channel_id) DO UPDATE
            SET platform_account_id = EXCLUDED.platform_account_id, walked_at = EXCLUDED.walked_at, videos = EXCLUDED.videos
            """);
        command.Parameters.AddWithValue("channel", channelId);
        command.Parameters.AddWithValue("account", accountId);
        command.Parameters.AddWithValue("videos", videos);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
