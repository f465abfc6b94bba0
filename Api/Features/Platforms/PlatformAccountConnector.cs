using Npgsql;
using NpgsqlTypes;
using Platform.Core.Billing;
using Platform.Core.Data;
using Platform.Core.Ingestion;
using Platform.Core.Jobs;
using Platform.Core.Jobs.Args;

namespace Platform.Api.Features.Platforms;

/// <summary>A channel or feed to connect.</summary>
/// <param name="Platform"><c>youtube</c> or <c>feed</c>.</param>
/// <param name="ExternalId">A channel id (<c>UC…</c>) or <c>@handle</c> (<see cref="ChannelReference.ExternalId"/>); a feed's normalized URL (<see cref="FeedAddress.TryNormalize"/>).</param>
/// <param name="Handle">The channel's <c>@handle</c> when known.</param>
/// <param name="Url">The page a person opens for it.</param>
/// <param name="Title">The name the platform gives it, when known (stored cleaned, at most 500 characters).</param>
public sealed record NewPlatformAccount(string Platform, string ExternalId, string? Handle, string Url, string? Title = null);

/// <summary>Why a connect did not happen.</summary>
public enum ConnectRefusal
{
    /// <summary>The user already has an account of this source (<see cref="ConnectOutcome.AccountId"/> is that account).</summary>
    AlreadyConnected,

    /// <summary>Another user proved ownership of this source.</summary>
    OwnedElsewhere,

    /// <summary>The plan's <see cref="TierEntitlement.MaxPlatformAccounts"/> are all in use.</summary>
    PlanLimit,

    /// <summary>The plan's <see cref="TierEntitlement.MaxPlatformChangesPerDay"/> are used up (<see cref="ConnectOutcome.Daily"/>).</summary>
    DailyLimit,
}

/// <summary>A connect's outcome: the new (or, for <see cref="ConnectRefusal.AlreadyConnected"/>, the existing) account, or why not.</summary>
/// <param name="Detail">Why not, in words for a problem's <c>detail</c>; empty when connected.</param>
/// <param name="Daily">The used-up daily allowance, for <see cref="PlatformChangeAllowance.TooMany"/> (429 with <c>Retry-After</c>).</param>
public sealed record ConnectOutcome(Guid? AccountId, ConnectRefusal? Refusal, string Detail, DailyEntitlementCheck? Daily = null);

/// <summary>
/// Connecting a platform account, one place for <c>POST /api/me/platforms</c> and the YouTube OAuth callback: which
/// account of the user already names the source, the 409 for a source another user verified, the plan's account limit
/// and connects per day (<see cref="TierEntitlements"/>), the insert, and the first sync enqueued with it.
/// </summary>
/// <remarks>
/// "Names the same source" is one SQL predicate (<see cref="SameSource"/>): a feed by <c>platform_source_key()</c>
/// (migration 024: http/https, host case, default port and trailing slashes do not make another feed), a YouTube
/// channel by its external id or, when connected by <c>@handle</c>, that handle in any case. The caller owns the
/// transaction (<see cref="UserScope"/>): nothing is written unless it commits, so a later failure also gives the day's
/// allowance back. Connects of one user are serialized (an advisory lock per user) so the account count cannot be raced.
/// </remarks>
public sealed class PlatformAccountConnector(NpgsqlDataSource dataSource, TierPlatformAccountLimits limits)
{
    /// <summary>
    /// Rows of <c>platform_account</c> that name the source (<c>@platform</c>, <c>@external_id</c>, <c>@handle</c>):
    /// the same source key (<c>platform_source_key</c>, index <c>idx_platform_account_source</c>), or a channel's handle.
    /// </summary>
    private const string SameSource =
        """
        platform = @platform
        AND (platform_source_key(platform, external_id) = platform_source_key(@platform, @external_id)
             OR (@platform = 'youtube' AND @handle::text IS NOT NULL
                 AND (lower(external_id) = lower(@handle) OR lower(handle) = lower(@handle))))
        """;

    /// <summary>
    /// Connects <paramref name="account"/> for <paramref name="userId"/> inside <paramref name="scope"/> and enqueues its
    /// first sync there (its job id in <c>sync_state.last_job_id</c>, shown as <c>sync_job_id</c>); the caller commits.
    /// Refusals are checked in this order: already connected, owned elsewhere, plan limit, daily limit.
    /// </summary>
    public async Task<ConnectOutcome> ConnectAsync(UserScope scope, Guid userId, NewPlatformAccount account, CancellationToken cancellationToken)
    {
        var plan = await limits.ForUserAsync(userId, cancellationToken);
        await using (var serialize = scope.CreateCommand("SELECT pg_advisory_xact_lock(hashtextextended('platform_account:' || @user, 0))"))
        {
            serialize.Parameters.AddWithValue("user", userId.ToString());
            await serialize.ExecuteNonQueryAsync(cancellationToken);
        }

        // The user's own accounts (RLS): one naming this source already, the exact spelling first.
        await using (var find = scope.CreateCommand($"SELECT id FROM platform_account WHERE {SameSource} ORDER BY (external_id = @external_id) DESC, created_at LIMIT 1"))
        {
            AddSource(find, account);
            if (await find.ExecuteScalarAsync(cancellationToken) is Guid existing)
            {
                return new ConnectOutcome(existing, ConnectRefusal.AlreadyConnected,
                    $"This {account.Platform} account ({account.ExternalId}) is already connected.");
            }
        }

        // Connecting would only leave an account that can never be verified behind. Read as the owner (RLS hides others).
        await using (var owned = dataSource.CreateCommand(
            $"SELECT EXISTS (SELECT 1 FROM platform_account WHERE {SameSource} AND verification_status = 'verified' AND user_id <> @user)"))
        {
            AddSource(owned, account);
            owned.Parameters.AddWithValue("user", userId);
            if ((bool)(await owned.ExecuteScalarAsync(cancellationToken))!)
            {
                return new ConnectOutcome(null, ConnectRefusal.OwnedElsewhere,
                    $"This {account.Platform} account ({account.ExternalId}) is verified by another user: only its proven owner can connect it.");
            }
        }

        await using (var count = scope.CreateCommand("SELECT count(*) FROM platform_account"))
        {
            if ((long)(await count.ExecuteScalarAsync(cancellationToken))! >= plan.MaxAccounts)
            {
                return new ConnectOutcome(null, ConnectRefusal.PlanLimit,
                    $"Your plan allows {plan.MaxAccounts} connected accounts; disconnect one or upgrade to connect more.");
            }
        }

        var daily = await TierEntitlements.TakeDailyAsync(scope.Connection, scope.Transaction, userId, DailyAllowance.PlatformChanges, 1, cancellationToken);
        if (!daily.Allowed)
        {
            return new ConnectOutcome(null, ConnectRefusal.DailyLimit, daily.Message, daily);
        }

        Guid accountId;
        await using (var insert = scope.CreateCommand(
            """
            INSERT INTO platform_account (user_id, platform, external_id, handle, url, title, sync_interval, next_sync_at)
            VALUES (@user, @platform, @external_id, @handle, @url, @title, @interval, now() + @interval)
            ON CONFLICT (user_id, platform, external_id) DO NOTHING
            RETURNING id
            """))
        {
            AddSource(insert, account);
            insert.Parameters.AddWithValue("user", userId);
            insert.Parameters.AddWithValue("url", account.Url);
            insert.Parameters.Add(new NpgsqlParameter("title", NpgsqlDbType.Text) { Value = (object?)PostgresText.Truncate(PostgresText.Clean(account.Title), 500) ?? DBNull.Value });
            insert.Parameters.AddWithValue("interval", plan.SyncInterval);
            if (await insert.ExecuteScalarAsync(cancellationToken) is not Guid id)
            {
                // Unreachable under the per-user lock (the find above would have seen it); kept as the constraint's answer.
                return new ConnectOutcome(null, ConnectRefusal.AlreadyConnected,
                    $"This {account.Platform} account ({account.ExternalId}) is already connected.");
            }

            accountId = id;
        }

        await EnqueueFirstSyncAsync(scope, userId, accountId, account.Platform, cancellationToken);
        return new ConnectOutcome(accountId, null, string.Empty);
    }

    private static void AddSource(NpgsqlCommand command, NewPlatformAccount account)
    {
        command.Parameters.AddWithValue("platform", account.Platform);
        command.Parameters.AddWithValue("external_id", account.ExternalId);
        command.Parameters.Add(new NpgsqlParameter("handle", NpgsqlDbType.Text) { Value = (object?)account.Handle ?? DBNull.Value });
    }

    /// <summary>
    /// The first sync of the account on <paramref name="platform"/> (<see cref="AccountSync"/>; idempotency key
    /// <c>connect:{accountId}</c>), enqueued in the connect's transaction and remembered in <c>sync_state.last_job_id</c>.
    /// </summary>
    private static async Task EnqueueFirstSyncAsync(UserScope scope, Guid userId, Guid accountId, string platform, CancellationToken cancellationToken)
    {
        var job = await JobQueueClient.EnqueueAsync(scope.Connection, scope.Transaction, AccountSync.For(platform, accountId), new EnqueueOptions
        {
            UserId = userId,
            IdempotencyKey = $"connect:{accountId}",
        }, cancellationToken);
        await using var remember = scope.CreateCommand(
            "UPDATE platform_account SET sync_state = sync_state || jsonb_build_object('last_job_id', @job::text) WHERE id = @id");
        remember.Parameters.AddWithValue("job", job.JobId);
        remember.Parameters.AddWithValue("id", accountId);
        await remember.ExecuteNonQueryAsync(cancellationToken);
    }
}
