using System.Text.Json;
using Npgsql;

namespace Platform.Api.Features.Discovery.GetCreator;

/// <summary>
/// A public profile by username (public_creator_id(): users_username_lower_key, also under app_anonymous's row-level
/// security) and the number of their public items (an index-only count on idx_content_item_creator_public).
/// </summary>
public static class CreatorProfileQuery
{
    public static async Task<Profile?> ExecuteAsync(NpgsqlDataSource dataSource, string username, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand("""
            SELECT u.username, u.display_name, u.bio, u.avatar_url, u.website_url, u.social_links::text, u.created_at,
                   u.profile_updated_at,
                   (SELECT count(*) FROM content_item c WHERE c.creator_id = u.id AND c.status = 'published')
            FROM users u
            WHERE u.id = public_creator_id(@username)
            """);
        command.Parameters.AddWithValue("username", username);
        await using var r = await command.ExecuteReaderAsync(ct);
        if (!await r.ReadAsync(ct))
        {
            return null;
        }

        using var links = JsonDocument.Parse(r.GetString(5));
        return new Profile(
            r.GetString(0),
            r.IsDBNull(1) ? null : r.GetString(1),
            r.IsDBNull(2) ? null : r.GetString(2),
            r.IsDBNull(3) ? null : r.GetString(3),
            r.IsDBNull(4) ? null : r.GetString(4),
            links.RootElement.Clone(),
            r.GetInt64(8),
            r.GetFieldValue<DateTimeOffset>(6),
            r.IsDBNull(7) ? null : r.GetFieldValue<DateTimeOffset>(7));
    }
}
