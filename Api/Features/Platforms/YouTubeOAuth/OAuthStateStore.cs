using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using Npgsql;

namespace Platform.Api.Features.Platforms.YouTubeOAuth;

/// <summary>An authorization in flight: the user it is for and the PKCE code verifier (RFC 7636 §4.1).</summary>
public sealed record PendingAuthorization(Guid UserId, string CodeVerifier);

/// <summary>
/// The OAuth <c>state</c> of YouTube ownership verification, kept in PostgreSQL (<c>youtube_oauth_state</c>, migration
/// 018): <see cref="BeginAsync"/> makes an opaque state (32 random bytes, base64url) and a PKCE verifier, and stores
/// only the state's SHA-256 with the user, the verifier and the expiry. Nothing the browser carries can be forged or
/// decrypted into a user id, and <see cref="TakeAsync"/> deletes the row as it reads it, so a state works once and only
/// within its lifetime, whichever replica answers the callback.
/// </summary>
public sealed class OAuthStateStore(NpgsqlDataSource dataSource)
{
    /// <summary>
    /// Authorizations one user may have in flight; a newer one replaces the oldest, so an authorize flood cannot grow
    /// the table (each state lives 10 minutes and only the last one a browser opened matters).
    /// </summary>
    public const int MaxInFlightPerUser = 5;

    /// <summary>Creates a state and a code verifier for <paramref name="userId"/>; returns the state, the verifier and the S256 challenge.</summary>
    public async Task<(string State, string CodeVerifier, string CodeChallenge)> BeginAsync(Guid userId, TimeSpan lifetime, CancellationToken cancellationToken)
    {
        var state = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));
        var verifier = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32)); // 43 characters of [A-Za-z0-9-_]
        var challenge = Base64Url.EncodeToString(SHA256.HashData(Encoding.ASCII.GetBytes(verifier)));

        await using var command = dataSource.CreateCommand(
            """
            DELETE FROM youtube_oauth_state WHERE expires_at < now() - interval '1 day';
            INSERT INTO youtube_oauth_state (state_digest, user_id, code_verifier, expires_at)
            VALUES (@digest, @user, @verifier, now() + @lifetime);
            DELETE FROM youtube_oauth_state
            WHERE user_id = @user
              AND state_digest NOT IN (SELECT state_digest FROM youtube_oauth_state WHERE user_id = @user
                                       ORDER BY created_at DESC, expires_at DESC LIMIT @in_flight);
            """);
        command.Parameters.AddWithValue("digest", Digest(state));
        command.Parameters.AddWithValue("user", userId);
        command.Parameters.AddWithValue("verifier", verifier);
        command.Parameters.AddWithValue("lifetime", lifetime);
        command.Parameters.AddWithValue("in_flight", MaxInFlightPerUser);
        await command.ExecuteNonQueryAsync(cancellationToken);
        return (state, verifier, challenge);
    }

    /// <summary>The authorization of <paramref name="state"/>, used up by this call; null when unknown, already used or expired.</summary>
    public async Task<PendingAuthorization?> TakeAsync(string? state, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(state) || state.Length > 128)
        {
            return null;
        }

        await using var command = dataSource.CreateCommand(
            "DELETE FROM youtube_oauth_state WHERE state_digest = @digest RETURNING user_id, code_verifier, expires_at > now()");
        command.Parameters.AddWithValue("digest", Digest(state));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken) || !reader.GetBoolean(2))
        {
            return null;
        }

        return new PendingAuthorization(reader.GetGuid(0), reader.GetString(1));
    }

    private static byte[] Digest(string state) => SHA256.HashData(Encoding.UTF8.GetBytes(state));
}
