using Marten;
using Npgsql;
using Platform.Core.Audit;

namespace Platform.Api.Features.Account.DeleteAccount;

/// <summary>
/// Removes everything of a user but the billing records, in one transaction with its audit event (Marten, in the
/// same transaction): platform accounts first (a sync still writing waits on them, then fails on the missing
/// account), then the items with their media, tags and clicks (raw clicks carry no user id; with the item they lose
/// the last link to the creator; the hourly rollups and trending rows go with them), featured entries, jobs, identities;
/// the users row is emptied (no e-mail, no profile, <c>deleted_at</c> set) and stays for <c>subscription</c> and
/// <c>billing_audit</c>, which Stripe and tax law need. The account's usernames and the slugs of its public items
/// answer 410 for 90 days (<c>public_name_history</c>, digests only). A second call finds the account deleted
/// and changes nothing.
/// </summary>
public sealed class AccountEraser(NpgsqlDataSource dataSource, IDocumentStore store)
{
    private const string Sql = """
        WITH me AS (SELECT id, is_public FROM users WHERE id = @id)
        INSERT INTO public_name_history (kind, name_digest, user_id, expires_at)
        SELECT 'content_slug', public_name_digest(c.slug), c.creator_id, now() + interval '90 days'
        FROM content_item c JOIN me ON me.id = c.creator_id
        WHERE me.is_public AND c.status = 'published' AND c.slug IS NOT NULL
        ON CONFLICT (kind, name_digest) DO UPDATE
            SET user_id = EXCLUDED.user_id, retired_at = now(), expires_at = EXCLUDED.expires_at;

        WITH gone AS (DELETE FROM platform_account WHERE user_id = @id RETURNING 1) SELECT count(*) FROM gone;
        WITH gone AS (DELETE FROM content_click k USING content_item c WHERE c.id = k.content_id AND c.creator_id = @id RETURNING 1)
            SELECT count(*) FROM gone;
        WITH gone AS (DELETE FROM content_media m USING content_item c WHERE c.id = m.content_id AND c.creator_id = @id RETURNING 1)
            SELECT count(*) FROM gone;
        WITH gone AS (DELETE FROM content_tag t USING content_item c WHERE c.id = t.content_id AND c.creator_id = @id RETURNING 1)
            SELECT count(*) FROM gone;
        WITH gone AS (DELETE FROM content_item WHERE creator_id = @id RETURNING 1) SELECT count(*) FROM gone;
        DELETE FROM featured_creator WHERE user_id = @id;
        UPDATE featured_creator SET created_by = NULL WHERE created_by = @id;
        WITH gone AS (DELETE FROM job_queue WHERE user_id = @id RETURNING 1) SELECT count(*) FROM gone;
        WITH gone AS (DELETE FROM user_identity WHERE user_id = @id RETURNING 1) SELECT count(*) FROM gone;
        UPDATE users
        SET email = NULL, username = NULL, display_name = NULL, bio = NULL, avatar_url = NULL, website_url = NULL,
            social_links = '{}'::jsonb, is_public = false, role = 'user', deleted_at = now()
        WHERE id = @id;
        """;

    /// <returns>False when the account was already deleted (nothing done).</returns>
    public async Task<bool> EraseAsync(Guid userId, string subscriptionOutcome, IReadOnlyList<string> stripeSubscriptionIds, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        await using (var lockUser = new NpgsqlCommand("SELECT deleted_at IS NOT NULL FROM users WHERE id = @id FOR UPDATE", connection, transaction))
        {
            lockUser.Parameters.AddWithValue("id", userId);
            if (await lockUser.ExecuteScalarAsync(ct) is not false)
            {
                return false; // deleted already (or never existed)
            }
        }

        var counts = new List<long>();
        await using (var erase = new NpgsqlCommand(Sql, connection, transaction))
        {
            erase.Parameters.AddWithValue("id", userId);
            await using var reader = await erase.ExecuteReaderAsync(ct);
            do
            {
                while (await reader.ReadAsync(ct))
                {
                    counts.Add(reader.GetInt64(0));
                }
            }
            while (await reader.NextResultAsync(ct));
        }

        await using (var session = store.LightweightSession(Marten.Services.SessionOptions.ForTransaction(transaction)))
        {
            session.Events.Append(AuditStreams.Account(userId), new AccountDeleted
            {
                UserId = userId,
                At = DateTimeOffset.UtcNow,
                Actor = $"user:{userId}",
                PlatformAccounts = counts[0],
                Clicks = counts[1],
                Media = counts[2],
                Tags = counts[3],
                ContentItems = counts[4],
                Jobs = counts[5],
                Identities = counts[6],
                Subscription = subscriptionOutcome,
                StripeSubscriptionId = stripeSubscriptionIds.FirstOrDefault(),
                StripeSubscriptionIds = [.. stripeSubscriptionIds],
            });
            await session.SaveChangesAsync(ct);
        }

        await transaction.CommitAsync(ct);
        return true;
    }
}
