using System.Text.Json;
using Platform.Core.Billing;
using Platform.Core.Data;

namespace Platform.Api.Features.Account;

/// <summary>
/// <c>GET /api/me</c> (and the answer of <c>PATCH /api/me/profile</c>): who I am, my public profile, my plan and how
/// many accounts I have connected. Read under row-level security (my own rows only).
/// </summary>
/// <param name="Email">Only an address the identity provider marked verified (null otherwise).</param>
public sealed record MeResponse(
    Guid Id,
    string? Email,
    bool IsAdmin,
    DateTimeOffset CreatedAt,
    ProfileResponse Profile,
    PlanResponse Plan,
    ConnectedAccountsResponse ConnectedAccounts)
{
    public static async Task<MeResponse> ReadAsync(UserScope scope, Guid userId, bool isAdmin, CancellationToken ct)
    {
        await using var command = scope.CreateCommand("""
            SELECT u.email, u.created_at, u.username, u.display_name, u.bio, u.avatar_url, u.website_url, u.social_links::text,
                   u.is_public, u.profile_updated_at,
                   s.tier, s.status, s.current_period_end, s.cancel_at_period_end,
                   (SELECT count(*) FROM platform_account a),
                   (SELECT count(*) FROM platform_account a WHERE a.is_active),
                   (SELECT count(*) FROM platform_account a WHERE a.platform = 'youtube'),
                   (SELECT count(*) FROM platform_account a WHERE a.platform = 'feed')
            FROM users u
            LEFT JOIN subscription s ON s.user_id = u.id
            WHERE u.id = @id
            """);
        command.Parameters.AddWithValue("id", userId);
        await using var r = await command.ExecuteReaderAsync(ct);
        await r.ReadAsync(ct);
        using var links = JsonDocument.Parse(r.GetString(7));
        var username = r.IsDBNull(2) ? null : r.GetString(2);
        var isPublic = r.GetBoolean(8);
        var tier = r.IsDBNull(10) ? TierEntitlements.Free : r.GetString(10);
        var status = r.IsDBNull(11) ? "active" : r.GetString(11);
        return new MeResponse(
            userId,
            r.IsDBNull(0) ? null : r.GetString(0),
            isAdmin,
            r.GetFieldValue<DateTimeOffset>(1),
            new ProfileResponse(
                username,
                r.IsDBNull(3) ? null : r.GetString(3),
                r.IsDBNull(4) ? null : r.GetString(4),
                r.IsDBNull(5) ? null : r.GetString(5),
                r.IsDBNull(6) ? null : r.GetString(6),
                links.RootElement.Clone(),
                isPublic,
                isPublic && username is not null ? "/@" + username : null,
                r.IsDBNull(9) ? null : r.GetFieldValue<DateTimeOffset>(9)),
            new PlanResponse(
                tier,
                TierEntitlements.EffectiveTier(tier, status),
                status,
                r.IsDBNull(12) ? null : r.GetFieldValue<DateTimeOffset>(12),
                !r.IsDBNull(13) && r.GetBoolean(13)),
            new ConnectedAccountsResponse(r.GetInt64(14), r.GetInt64(15), r.GetInt64(16), r.GetInt64(17)));
    }
}

/// <param name="PublicUrl">The profile page's path (<c>/@{username}</c>) while the profile is public, else null.</param>
public sealed record ProfileResponse(
    string? Username,
    string? DisplayName,
    string? Bio,
    string? AvatarUrl,
    string? WebsiteUrl,
    JsonElement SocialLinks,
    bool IsPublic,
    string? PublicUrl,
    DateTimeOffset? UpdatedAt);

/// <param name="EffectiveTier">The tier whose limits apply now (a paid tier counts while active, trialing or past_due).</param>
public sealed record PlanResponse(string Tier, string EffectiveTier, string Status, DateTimeOffset? CurrentPeriodEnd, bool CancelAtPeriodEnd);

public sealed record ConnectedAccountsResponse(long Total, long Active, long Youtube, long Feed);
