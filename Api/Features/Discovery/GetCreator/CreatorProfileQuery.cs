using System.Text.Json;
using Npgsql;
using Platform.Api.Features.Discovery.Shared;

namespace Platform.Api.Features.Discovery.GetCreator;

/// <summary>
/// A public profile by username (public_creator_id(): users_username_lower_key, also under app_anonymous's row-level
/// security), the number of their public items (an index-only count on idx_content_item_creator_public), and one page
/// of their items (<see cref="FeedQuery.IsCreatorList"/>): one prepared round trip (<see cref="PreparedBatch"/>).
/// </summary>
public static class CreatorProfileQuery
{
    private const string ProfileSql = """
        SELECT u.username, u.display_name, u.bio, u.avatar_url, u.website_url, u.social_links::text, u.created_at,
               u.profile_updated_at,
               (SELECT count(*) FROM content_item c WHERE c.creator_id = u.id AND c.status = 'published')
        FROM users u
        WHERE u.id = public_creator_id(@username)
        """;

    /// <summary>The profile of <paramref name="username"/> and <paramref name="content"/> (a list of theirs); null when not public.</summary>
    /// <param name="content">A <see cref="FeedQuery.IsCreatorList"/> query of the same creator.</param>
    /// <exception cref="ArgumentException"><paramref name="content"/> is not a creator's own list.</exception>
    public static async Task<(Profile Profile, FeedSlice Content)?> ExecuteAsync(
        NpgsqlDataSource dataSource, string username, FeedQuery content, CancellationToken ct)
    {
        if (!content.IsCreatorList)
        {
            throw new ArgumentException("The content of a profile is a creator's own list.", nameof(content));
        }

        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var batch = new NpgsqlBatch(connection);
        var profileCommand = new NpgsqlBatchCommand(ProfileSql);
        profileCommand.Parameters.AddWithValue("username", username);
        batch.BatchCommands.Add(profileCommand);
        batch.BatchCommands.Add(content.Statement());
        await using var r = await batch.ExecutePreparedAsync(ct);
        if (!await r.ReadAsync(ct))
        {
            return null;
        }

        using var links = JsonDocument.Parse(r.GetString(5));
        var profile = new Profile(
            r.GetString(0),
            r.IsDBNull(1) ? null : r.GetString(1),
            r.IsDBNull(2) ? null : r.GetString(2),
            r.IsDBNull(3) ? null : r.GetString(3),
            r.IsDBNull(4) ? null : r.GetString(4),
            links.RootElement.Clone(),
            r.GetInt64(8),
            r.GetFieldValue<DateTimeOffset>(6),
            r.IsDBNull(7) ? null : r.GetFieldValue<DateTimeOffset>(7));
        await r.NextResultAsync(ct);
        return (profile, await content.ReadSliceAsync(r, ct));
    }
}
