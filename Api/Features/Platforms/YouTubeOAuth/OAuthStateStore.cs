using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using Npgsql;

namespace Platform.Api.Features.Platforms.YouTubeOAuth;

/// <summary>
/// An authorization in flight: the user it is for, the PKCE code verifier (RFC 7636 §4.1), and whether the browser that
/// brought the callback is the one that started it (<see cref="OAuthStateStore.BeginAsync"/>'s browser binding).
/// </summary>
public sealed record PendingAuthorization(Guid UserId, string CodeVerifier, bool SameBrowser);

/// <summary>
/// The OAuth <c>state</c> of YouTube ownership verification, kept in PostgreSQL (<c>youtube_oauth_state</c>, migrations
/// 018 and 024): <see cref="BeginAsync"/> makes an opaque state (32 random bytes, base64url), a PKCE verifier and a
/// browser binding (32 random bytes the authorize endpoint puts in an HttpOnly cookie, <see cref="OAuthBrowserCookie"/>),
/// and stores only the SHA-256 of the state and of the binding with the user, the verifier and the expiry. Nothing the
/// browser carries can be forged or decrypted into a user id; <see cref="TakeAsync"/> deletes the row as it reads it, so
/// a state works once and only within its lifetime, whichever replica answers the callback; and it tells whether the
/// callback came from the browser that started the flow (RFC 6749 §10.12, RFC 9700 §4.7), so a link to someone else's
/// authorization cannot verify a victim's channel for the attacker.
/// </summary>
public sealed class OAuthStateStore(NpgsqlDataSource dataSource)
{
    /// <summary>
    /// Authorizations one user may have in flight; a newer one replaces the oldest, so an authorize flood cannot grow
    /// the table (each state lives 10 minutes and only the last one a browser opened matters).
    /// </summary>
    public const int MaxInFlightPerUser = 5;

    /// <summary>
    /// Creates a state, a code verifier and a browser binding for <paramref name="userId"/>; returns the state, the
    /// verifier, the S256 challenge and the binding (43 base64url characters) for the starting browser's cookie.
    /// </summary>
    public async Task<(string State, string CodeVerifier, string CodeChallenge, string BrowserBinding)> BeginAsync(
        Guid userId, TimeSpan lifetime, CancellationToken cancellationToken)
    {
        var state = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));
        var verifier = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32)); // 43 characters of [A-Za-z0-9-_]
        var challenge = Base64Url.EncodeToString(SHA256.HashData(Encoding.ASCII.GetBytes(verifier)));
        var binding = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));

        await using var command = dataSource.CreateCommand(
            """
            DELETE FROM youtube_oauth_state WHERE expires_at < now() - interval '1 day';
            INSERT INTO youtube_oauth_state (state_digest, user_id, code_verifier, browser_digest, expires_at)
            VALUES (@digest, @user, @verifier, @browser, now() + @lifetime);
            DELETE FROM youtube_oauth_state
            WHERE user_id = @user
              AND state_digest NOT IN (SELECT state_digest FROM youtube_oauth_state WHERE user_id = @user
                                       ORDER BY created_at DESC, expires_at DESC LIMIT @in_flight);
            """);
        command.Parameters.AddWithValue("digest", Digest(state));
        command.Parameters.AddWithValue("user", userId);
        command.Parameters.AddWithValue("verifier", verifier);
        command.Parameters.AddWithValue("browser", Digest(binding));
        command.Parameters.AddWithValue("lifetime", lifetime);
        command.Parameters.AddWithValue("in_flight", MaxInFlightPerUser);
        await command.ExecuteNonQueryAsync(cancellationToken);
        return (state, verifier, challenge, binding);
    }

    /// <summary>
    /// The authorization of <paramref name="state"/>, used up by this call whatever the browser (so a callback URL that
    /// leaked from the wrong browser cannot be replayed from the right one); null when unknown, already used or expired.
    /// <see cref="PendingAuthorization.SameBrowser"/> is true only when <paramref name="browserBinding"/> (the callback
    /// request's cookie) is the one <see cref="BeginAsync"/> gave the browser that started it.
    /// </summary>
    public async Task<PendingAuthorization?> TakeAsync(string? state, string? browserBinding, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(state) || state.Length > 128)
        {
            return null;
        }

        await using var command = dataSource.CreateCommand(
            "DELETE FROM youtube_oauth_state WHERE state_digest = @digest RETURNING user_id, code_verifier, expires_at > now(), browser_digest");
        command.Parameters.AddWithValue("digest", Digest(state));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken) || !reader.GetBoolean(2))
        {
            return null;
        }

        var sameBrowser = !reader.IsDBNull(3) && !string.IsNullOrEmpty(browserBinding) && browserBinding.Length <= 128
            && CryptographicOperations.FixedTimeEquals(reader.GetFieldValue<byte[]>(3), Digest(browserBinding));
        return new PendingAuthorization(reader.GetGuid(0), reader.GetString(1), sameBrowser);
    }

    private static byte[] Digest(string value) => SHA256.HashData(Encoding.UTF8.GetBytes(value));
}
