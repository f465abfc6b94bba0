using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;

namespace Platform.Api.Auth;

/// <summary>The platform user a token's <c>(iss, sub)</c> is, and whether that account was deleted.</summary>
public sealed record SignedInUser(Guid UserId, bool IsDeleted);

/// <summary>
/// Resolves <c>(iss, sub)</c> to the platform user through <c>sign_in_identity()</c> (migration 015): found, or
/// created on first sign-in with the free plan. Subjects of the platform's own issuer that are uuids are the user's
/// id (the tokens the AppHost and the tests mint); any other subject (<c>auth0|…</c>, Google's digits, Entra ID's
/// object ids) gets a new uuid. The e-mail is passed only when the token says <c>email_verified</c>.
/// Answers are remembered for 30 seconds per process (a deletion is seen at once here, within that time elsewhere).
/// </summary>
public sealed class UserDirectory(NpgsqlDataSource dataSource, IMemoryCache cache, IOptions<AuthOptions> options)
{
    private static readonly TimeSpan Remember = TimeSpan.FromSeconds(30);

    public async ValueTask<SignedInUser> SignInAsync(string issuer, string subject, string? verifiedEmail, CancellationToken ct)
    {
        var key = Key(issuer, subject);
        if (cache.TryGetValue(key, out SignedInUser? known) && known is not null)
        {
            return known;
        }

        Guid? localId = issuer == options.Value.Issuer && Guid.TryParse(subject, out var id) ? id : null;
        await using var command = dataSource.CreateCommand("SELECT user_id, is_deleted FROM sign_in_identity(@issuer, @subject, @local_id, @email)");
        command.Parameters.AddWithValue("issuer", issuer);
        command.Parameters.AddWithValue("subject", subject);
        command.Parameters.Add(new NpgsqlParameter("local_id", NpgsqlDbType.Uuid) { Value = (object?)localId ?? DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter("email", NpgsqlDbType.Text) { Value = (object?)verifiedEmail ?? DBNull.Value });
        await using var reader = await command.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        var user = new SignedInUser(reader.GetGuid(0), reader.GetBoolean(1));
        cache.Set(key, user, Remember);
        return user;
    }

    /// <summary>Forgets an identity (after its account was deleted), so this process sees the change at once.</summary>
    public void Forget(string issuer, string subject) => cache.Remove(Key(issuer, subject));

    private static string Key(string issuer, string subject) => $"identity\n{issuer}\n{subject}";
}
