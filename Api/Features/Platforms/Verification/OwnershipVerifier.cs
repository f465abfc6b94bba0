using Marten;
using Npgsql;
using Platform.Api.Caching;
using Platform.Api.Features.Discovery.Shared;
using Platform.Core.Audit;
using Platform.Core.Data;
using Platform.Core.Discovery;

namespace Platform.Api.Features.Platforms.Verification;

/// <summary>How ownership was proven (<c>platform_account.verification_method</c>, migration 018).</summary>
public static class VerificationMethods
{
    public const string YouTubeOAuth = "youtube_oauth";
    public const string FeedDescription = "feed_description";
    public const string FeedHomePageMeta = "feed_home_page_meta";
}

/// <summary>Another user already verified this source: it cannot be connected or verified again (409).</summary>
public sealed class SourceOwnedElsewhereException(string platform, string externalId)
    : Exception($"This {platform} source ({externalId}) is verified by another account.");

/// <summary>
/// Marks an account of the caller verified once its ownership is proven, in one transaction:
/// <c>verify_platform_account()</c> (publishes its waiting items, takes over the items other users' unverified accounts
/// imported from the same source, a feed under any spelling (<c>platform_source_key()</c>, migration 024), and
/// deactivates those accounts) and the audit events of both sides (Marten); then the public cache forgets what it
/// showed, so the items appear without a re-sync.
/// </summary>
public sealed class OwnershipVerifier(NpgsqlDataSource dataSource, IDocumentStore auditStore, PublicCache cache)
{
    /// <summary>Verifies <paramref name="accountId"/> of <paramref name="userId"/> by <paramref name="method"/>; returns the account, or null when it is not the user's.</summary>
    /// <exception cref="SourceOwnedElsewhereException">Another user verified the same source.</exception>
    public async Task<PlatformAccountResponse?> VerifyAsync(Guid userId, Guid accountId, string method, CancellationToken cancellationToken)
    {
        await using var scope = await UserScope.BeginAsync(dataSource, userId, cancellationToken);
        var account = (await PlatformAccountResponse.ReadAsync(scope, accountId, cancellationToken)).SingleOrDefault();
        if (account is null)
        {
            return null;
        }

        int published, takenOver;
        Guid[] deactivatedAccounts, deactivatedUsers;
        await using (var verify = scope.CreateCommand("SELECT * FROM verify_platform_account(@id, @method)"))
        {
            verify.Parameters.AddWithValue("id", accountId);
            verify.Parameters.AddWithValue("method", method);
            try
            {
                await using var reader = await verify.ExecuteReaderAsync(cancellationToken);
                await reader.ReadAsync(cancellationToken);
                (published, takenOver) = (reader.GetInt32(0), reader.GetInt32(1));
                (deactivatedAccounts, deactivatedUsers) = (reader.GetFieldValue<Guid[]>(2), reader.GetFieldValue<Guid[]>(3));
            }
            catch (PostgresException conflict) when (conflict.SqlState == PostgresErrorCodes.UniqueViolation)
            {
                throw new SourceOwnedElsewhereException(account.Platform, account.ExternalId);
            }
            catch (PostgresException gone) when (gone.SqlState == PostgresErrorCodes.NoDataFound)
            {
                return null; // disconnected (or its source changed) while the verify waited for the source's lock (023)
            }
        }

        var verified = (await PlatformAccountResponse.ReadAsync(scope, accountId, cancellationToken)).Single();

        // The audit trail is written by the owner role (as every audit write), in this same transaction.
        await using (var owner = scope.CreateCommand("SET LOCAL ROLE NONE"))
        {
            await owner.ExecuteNonQueryAsync(cancellationToken);
        }

        var at = DateTimeOffset.UtcNow;
        await using (var session = auditStore.LightweightSession(Marten.Services.SessionOptions.ForTransaction(scope.Transaction)))
        {
            session.Events.Append(AuditStreams.PlatformAccount(accountId), new PlatformAccountVerified
            {
                PlatformAccountId = accountId,
                UserId = userId,
                At = at,
                Actor = $"user:{userId}",
                Method = method,
                Platform = account.Platform,
                ExternalId = account.ExternalId,
                Published = published,
                TakenOver = takenOver,
                DeactivatedAccountIds = [.. deactivatedAccounts],
            });
            for (var i = 0; i < deactivatedAccounts.Length; i++)
            {
                session.Events.Append(AuditStreams.PlatformAccount(deactivatedAccounts[i]), new PlatformAccountTakenOver
                {
                    PlatformAccountId = deactivatedAccounts[i],
                    UserId = deactivatedUsers[i],
                    At = at,
                    Actor = $"user:{userId}",
                    Platform = account.Platform,
                    ExternalId = account.ExternalId,
                    VerifiedAccountId = accountId,
                    VerifiedUserId = userId,
                });
            }

            await session.SaveChangesAsync(cancellationToken);
        }

        await scope.CommitAsync(cancellationToken);
        if (published + takenOver > 0)
        {
            // The verified creator's and the taken-over creators' pages at once; lists follow, debounced.
            await cache.InvalidateAsync(
                [.. DiscoveryCacheTags.CreatorPage(userId), .. deactivatedUsers.Distinct().Select(DiscoveryCacheTags.Creator)], cancellationToken);
        }

        return verified;
    }
}
