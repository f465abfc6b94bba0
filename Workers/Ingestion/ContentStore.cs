using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;
using Platform.Core.Billing;
using Platform.Core.Data;
using Platform.Core.Ingestion;
using Platform.Core.Jobs;
using Platform.Core.Jobs.Args;

namespace Platform.Workers.Ingestion;

/// <summary>An item PostgreSQL refused (a constraint or a value it cannot store): left out of its page, with the reason.</summary>
public sealed record DroppedItem(string ExternalId, string Reason);

/// <summary>What one page of an import changed, and which items it had to leave out.</summary>
public sealed record UpsertOutcome(int Inserted, int Updated, IReadOnlyList<Guid> ChangedIds, int CountersRefreshed = 0)
{
    public static readonly UpsertOutcome None = new(0, 0, []);

    public int Changed => Inserted + Updated;

    public IReadOnlyList<DroppedItem> Dropped { get; init; } = [];

    /// <summary>Set when the plan's item bounds left new items of the page out (they were not written).</summary>
    public PlanLimitNote? Limited { get; init; }
}

/// <summary>
/// Writes imported items: one page in one transaction (items, their media and platform tags, and the follow-up
/// <c>tag_content</c> / <c>refresh_media</c> jobs), so a failure leaves either the whole page or none of it.
/// </summary>
/// <remarks>
/// Every text
/// is made storable by <see cref="PostgresText"/> first; should PostgreSQL still refuse an item (SQLSTATE class 22 data
/// exception or a check constraint), the page is written again item by item under savepoints and only that item is
/// left out (<see cref="UpsertOutcome.Dropped"/>). Dates: <c>source_published_at</c> is the date the platform gave
/// (NULL when it gave none or it could not be read); <c>published_at</c>, the date the item is ordered and shown by, is
/// that date clamped to the time the item was first seen (<c>created_at</c>), or the first-seen time when unknown, so
/// it never lies in the future and never moves on a re-sync.
/// Plan bounds: an account keeps at most <see cref="TierEntitlement.MaxItemsPerAccount"/> items and a user at most
/// <see cref="TierEntitlement.MaxItemsPerUser"/> (items not <c>removed</c>). Items already stored are always updated;
/// new ones are written in the page's order while there is room, the rest are left out
/// (<see cref="UpsertOutcome.Limited"/>). One user's pages are written one at a time (an advisory lock), so two syncs
/// cannot both take the last room.
/// </remarks>
public sealed class ContentStore(NpgsqlDataSource dataSource, IOptions<IngestionOptions> options)
{
    // Rows whose content_hash is unchanged are left alone (the DO UPDATE's WHERE), and are not returned. A row of
    // another creator with the same platform id (two users connecting one channel) is taken over only by a verified
    // account (@verified), and only from an importer that is not verified itself (migration 018): the proven owner
    // wins, an unproven importer never takes anything. @status is 'published', or 'pending_verification' for an
    // unverified account while Ingestion__RequireOwnershipVerification is on.
    private const string UpsertItems =
        """
        INSERT INTO content_item AS c (
            creator_id, platform_account_id, platform, external_id, title, description, url, canonical_url,
            thumbnail_url, og_image_url, published_at, source_published_at, duration_seconds, view_count, like_count, category_id,
            status, content_hash, meta_title, meta_description)
        SELECT @creator, @account, @platform, i.external_id, i.title, i.description, i.url, i.url,
               i.thumbnail_url, i.thumbnail_url, least(i.published_at, now()), i.published_at, i.duration_seconds, i.view_count,
               i.like_count, i.category_id, @status, i.content_hash, i.meta_title, i.meta_description
        FROM unnest(@external_ids, @titles, @descriptions, @urls, @thumbnail_urls, @published_at, @durations,
                    @view_counts, @like_counts, @category_ids, @hashes, @meta_titles, @meta_descriptions)
             AS i(external_id, title, description, url, thumbnail_url, published_at, duration_seconds,
                  view_count, like_count, category_id, content_hash, meta_title, meta_description)
        ON CONFLICT (platform, external_id) DO UPDATE SET
            platform_account_id = EXCLUDED.platform_account_id,
            title               = EXCLUDED.title,
            description         = EXCLUDED.description,
            url                 = EXCLUDED.url,
            canonical_url       = EXCLUDED.canonical_url,
            thumbnail_url       = EXCLUDED.thumbnail_url,
            og_image_url        = EXCLUDED.og_image_url,
            published_at        = least(EXCLUDED.source_published_at, c.created_at),
            source_published_at = EXCLUDED.source_published_at,
            duration_seconds    = EXCLUDED.duration_seconds,
            view_count          = EXCLUDED.view_count,
            like_count          = EXCLUDED.like_count,
            category_id         = coalesce(c.category_id, EXCLUDED.category_id),
            creator_id          = EXCLUDED.creator_id,
            status              = CASE WHEN c.creator_id <> EXCLUDED.creator_id
                                         OR c.status IN ('removed', 'pending_verification') THEN EXCLUDED.status
                                       ELSE c.status END,
            content_hash        = EXCLUDED.content_hash,
            meta_title          = EXCLUDED.meta_title,
            meta_description    = EXCLUDED.meta_description
        WHERE (c.creator_id = EXCLUDED.creator_id
               AND (c.content_hash IS DISTINCT FROM EXCLUDED.content_hash OR c.status = 'removed'
                    OR (c.status = 'pending_verification' AND EXCLUDED.status = 'published')))
           OR (c.creator_id <> EXCLUDED.creator_id AND @verified
               AND NOT EXISTS (SELECT 1 FROM platform_account o
                               WHERE o.id = c.platform_account_id AND o.verification_status = 'verified')
               AND c.platform_account_id IS NOT NULL)
        RETURNING c.id, c.external_id, (c.xmax = 0) AS inserted
        """;

    // Items whose content did not change may still have new view/like counts: written alone, without touching
    // updated_at (013) or queueing follow-up work. A platform that reports no counter (NULL) keeps the stored one.
    private const string RefreshCounters =
        """
        UPDATE content_item c
        SET view_count = coalesce(i.view_count, c.view_count),
            like_count = coalesce(i.like_count, c.like_count)
        FROM unnest(@external_ids, @view_counts, @like_counts) AS i(external_id, view_count, like_count)
        WHERE c.platform = @platform AND c.external_id = i.external_id AND c.creator_id = @creator
          AND NOT (c.id = ANY (@changed_ids))
          AND ((i.view_count IS NOT NULL AND c.view_count IS DISTINCT FROM i.view_count)
               OR (i.like_count IS NOT NULL AND c.like_count IS DISTINCT FROM i.like_count))
        """;

    private const string ReplaceMediaAndTags =
        """
        DELETE FROM content_media m
        USING unnest(@content_ids) AS changed(id)
        WHERE m.content_id = changed.id
          AND NOT EXISTS (SELECT 1 FROM unnest(@media_content_ids, @media_urls) AS n(content_id, url)
                          WHERE n.content_id = m.content_id AND n.url = m.url);
        INSERT INTO content_media (content_id, kind, url, width, height, content_type, position)
        SELECT * FROM unnest(@media_content_ids, @media_kinds, @media_urls, @media_widths, @media_heights, @media_types, @media_positions)
        ON CONFLICT (content_id, url) DO UPDATE SET
            kind = EXCLUDED.kind, position = EXCLUDED.position,
            width = coalesce(EXCLUDED.width, content_media.width),
            height = coalesce(EXCLUDED.height, content_media.height),
            content_type = coalesce(EXCLUDED.content_type, content_media.content_type);
        DELETE FROM content_tag WHERE content_id = ANY(@content_ids) AND source = 'platform';
        INSERT INTO content_tag (content_id, tag, source)
        SELECT content_id, tag, 'platform' FROM unnest(@tag_content_ids, @tags) AS t(content_id, tag)
        ON CONFLICT DO NOTHING;
        """;

    /// <summary>Upserts one page of items of <paramref name="account"/>; <paramref name="alsoInTransaction"/> runs before the commit.</summary>
    public async Task<UpsertOutcome> UpsertPageAsync(
        PlatformAccount account,
        IReadOnlyList<ImportedItem> items,
        CancellationToken cancellationToken,
        Func<NpgsqlConnection, NpgsqlTransaction, Task>? alsoInTransaction = null)
    {
        try
        {
            return await UpsertAsync(account, items, oneByOne: false, alsoInTransaction, cancellationToken);
        }
        catch (PostgresException refused) when (IsItemError(refused) && items.Count > 1)
        {
            // One item PostgreSQL refuses must not cost the page: write it again, item by item.
            return await UpsertAsync(account, items, oneByOne: true, alsoInTransaction, cancellationToken);
        }
    }

    private async Task<UpsertOutcome> UpsertAsync(
        PlatformAccount account,
        IReadOnlyList<ImportedItem> items,
        bool oneByOne,
        Func<NpgsqlConnection, NpgsqlTransaction, Task>? alsoInTransaction,
        CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        (items, var limited) = await WithinItemBoundsAsync(connection, transaction, account, items, cancellationToken);
        UpsertOutcome outcome;
        if (!oneByOne)
        {
            outcome = items.Count == 0 ? UpsertOutcome.None : await WriteAsync(connection, transaction, account, ImportStatus(account), items, cancellationToken);
        }
        else
        {
            var (inserted, updated, counters) = (0, 0, 0);
            var ids = new List<Guid>();
            var dropped = new List<DroppedItem>();
            foreach (var item in items.GroupBy(i => i.ExternalId, StringComparer.Ordinal).Select(g => g.Last()))
            {
                await transaction.SaveAsync("item", cancellationToken);
                try
                {
                    var one = await WriteAsync(connection, transaction, account, ImportStatus(account), [item], cancellationToken);
                    await transaction.ReleaseAsync("item", cancellationToken);
                    (inserted, updated, counters) = (inserted + one.Inserted, updated + one.Updated, counters + one.CountersRefreshed);
                    ids.AddRange(one.ChangedIds);
                }
                catch (PostgresException refused) when (IsItemError(refused))
                {
                    await transaction.RollbackAsync("item", cancellationToken);
                    dropped.Add(new DroppedItem(item.ExternalId, $"PostgreSQL refused the item ({refused.SqlState}): {refused.MessageText}"));
                }
            }

            outcome = new UpsertOutcome(inserted, updated, ids, counters) { Dropped = dropped };
        }

        if (alsoInTransaction is not null)
        {
            await alsoInTransaction(connection, transaction);
        }

        await transaction.CommitAsync(cancellationToken);
        return limited is null ? outcome : outcome with { Limited = limited };
    }

    /// <summary>
    /// The page's items that the plan's item bounds let in: every item already stored (by anyone: another creator's row
    /// is not written anyway), and new ones in order while the account and the user have room.
    /// </summary>
    private static async Task<(IReadOnlyList<ImportedItem> Kept, PlanLimitNote? Limited)> WithinItemBoundsAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, PlatformAccount account, IReadOnlyList<ImportedItem> items, CancellationToken cancellationToken)
    {
        if (items.Count == 0)
        {
            return (items, null);
        }

        // A page of items all stored already (a re-sync) takes no room: no lock, no count.
        var stored = await StoredAsync(connection, transaction, account.Platform, items.Select(i => i.ExternalId).ToList(), cancellationToken);

        var newIds = items.Select(i => i.ExternalId).Where(id => !stored.Contains(id)).Distinct(StringComparer.Ordinal).ToList();
        if (newIds.Count == 0)
        {
            return (items, null);
        }

        await using (var serialize = new NpgsqlCommand("SELECT pg_advisory_xact_lock(hashtextextended('content_item:' || @user, 0))", connection, transaction))
        {
            serialize.Parameters.AddWithValue("user", account.UserId.ToString());
            await serialize.ExecuteNonQueryAsync(cancellationToken);
        }

        var tier = await TierEntitlements.EffectiveTierAsync(connection, transaction, account.UserId, cancellationToken);
        var plan = TierEntitlements.For(tier);
        long ofUser, ofAccount;
        await using (var count = new NpgsqlCommand(
            """
            SELECT (SELECT count(*) FROM content_item WHERE creator_id = @user AND status <> 'removed'),
                   (SELECT count(*) FROM content_item WHERE platform_account_id = @account AND status <> 'removed')
            """,
            connection,
            transaction))
        {
            count.Parameters.AddWithValue("user", account.UserId);
            count.Parameters.AddWithValue("account", account.Id);
            await using var reader = await count.ExecuteReaderAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            (ofUser, ofAccount) = (reader.GetInt64(0), reader.GetInt64(1));
        }

        var roomOfUser = plan.MaxItemsPerUser - ofUser;
        var roomOfAccount = plan.MaxItemsPerAccount - ofAccount;
        var room = (int)Math.Max(0, Math.Min(roomOfUser, roomOfAccount));
        if (newIds.Count <= room)
        {
            return (items, null);
        }

        var admitted = newIds.Take(room).ToHashSet(StringComparer.Ordinal);
        var kept = items.Where(i => stored.Contains(i.ExternalId) || admitted.Contains(i.ExternalId)).ToList();
        var (entitlement, limit) = roomOfUser < roomOfAccount
            ? (TierEntitlements.ItemsPerUser, plan.MaxItemsPerUser)
            : (TierEntitlements.ItemsPerAccount, plan.MaxItemsPerAccount);
        var leftOut = newIds.Count - room;
        return (kept, new PlanLimitNote(
            entitlement,
            tier,
            limit,
            leftOut,
            $"The {tier} plan keeps {limit} {entitlement}; {leftOut} new items were not imported. Upgrade (POST /api/billing/checkout) to import more."));
    }

    /// <summary>Which of <paramref name="externalIds"/> of <paramref name="platform"/> are stored, whoever's they are.</summary>
    public async Task<HashSet<string>> StoredAsync(string platform, IReadOnlyCollection<string> externalIds, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await StoredAsync(connection, null, platform, externalIds, cancellationToken);
    }

    private static async Task<HashSet<string>> StoredAsync(
        NpgsqlConnection connection, NpgsqlTransaction? transaction, string platform, IReadOnlyCollection<string> externalIds, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            "SELECT external_id FROM content_item WHERE platform = @platform AND external_id = ANY(@ids)", connection, transaction);
        command.Parameters.AddWithValue("platform", platform);
        command.Parameters.AddWithValue("ids", externalIds.ToArray());
        var stored = new HashSet<string>(StringComparer.Ordinal);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            stored.Add(reader.GetString(0));
        }

        return stored;
    }

    /// <summary>A data exception (class 22) or a violated check / not-null constraint: the item's fault, not the page's.</summary>
    private static bool IsItemError(PostgresException error) =>
        error.SqlState.StartsWith("22", StringComparison.Ordinal) || error.SqlState is PostgresErrorCodes.CheckViolation or PostgresErrorCodes.NotNullViolation;

    /// <summary>
    /// Marks the account's items that the platform no longer lists as <c>removed</c>; returns how many. Absence proves
    /// removal only when <paramref name="listedExternalIds"/> is provably the platform's complete listing: callers must
    /// know that (a feed never does: it lists only its latest entries).
    /// </summary>
    public async Task<int> MarkRemovedAsync(PlatformAccount account, IReadOnlyCollection<string> listedExternalIds, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            """
            UPDATE content_item SET status = 'removed'
            WHERE platform_account_id = @account AND platform = @platform AND status <> 'removed'
              AND NOT (external_id = ANY(@listed))
            """);
        command.Parameters.AddWithValue("account", account.Id);
        command.Parameters.AddWithValue("platform", account.Platform);
        command.Parameters.AddWithValue("listed", listedExternalIds.ToArray());
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Marks the named items of the account <c>removed</c> (the platform said they are gone); returns how many changed.</summary>
    public async Task<int> MarkGoneAsync(PlatformAccount account, IReadOnlyCollection<string> goneExternalIds, CancellationToken cancellationToken)
    {
        if (goneExternalIds.Count == 0)
        {
            return 0;
        }

        await using var command = dataSource.CreateCommand(
            """
            UPDATE content_item SET status = 'removed'
            WHERE platform_account_id = @account AND platform = @platform AND status <> 'removed'
              AND external_id = ANY(@gone)
            """);
        command.Parameters.AddWithValue("account", account.Id);
        command.Parameters.AddWithValue("platform", account.Platform);
        command.Parameters.AddWithValue("gone", goneExternalIds.ToArray());
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>
    /// Up to <paramref name="limit"/> external ids of the account's items that are not removed and not among
    /// <paramref name="seenExternalIds"/>, in random order (so that successive syncs get round to all of them).
    /// </summary>
    public async Task<List<string>> UnseenAsync(PlatformAccount account, IReadOnlyCollection<string> seenExternalIds, int limit, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            """
            SELECT external_id FROM content_item
            WHERE platform_account_id = @account AND platform = @platform AND status <> 'removed'
              AND NOT (external_id = ANY(@seen))
            ORDER BY random()
            LIMIT @limit
            """);
        command.Parameters.AddWithValue("account", account.Id);
        command.Parameters.AddWithValue("platform", account.Platform);
        command.Parameters.AddWithValue("seen", seenExternalIds.ToArray());
        command.Parameters.AddWithValue("limit", limit);
        var unseen = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            unseen.Add(reader.GetString(0));
        }

        return unseen;
    }

    /// <summary>
    /// The status new items of <paramref name="account"/> get: <c>published</c>, or <c>pending_verification</c> (not
    /// public) for an unverified account while <see cref="IngestionOptions.RequireOwnershipVerification"/> is on.
    /// </summary>
    public string ImportStatus(PlatformAccount account) =>
        account.IsVerified || !options.Value.RequireOwnershipVerification ? "published" : "pending_verification";

    private static async Task<UpsertOutcome> WriteAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, PlatformAccount account, string status, IReadOnlyList<ImportedItem> items, CancellationToken cancellationToken)
    {
        // One row per external id (a feed may repeat an entry): the last one wins.
        var unique = items.GroupBy(i => i.ExternalId, StringComparer.Ordinal).Select(g => g.Last()).ToList();
        var byExternalId = unique.ToDictionary(i => i.ExternalId, StringComparer.Ordinal);

        await using var upsert = new NpgsqlCommand(UpsertItems, connection, transaction);
        upsert.Parameters.AddWithValue("creator", account.UserId);
        upsert.Parameters.AddWithValue("account", account.Id);
        upsert.Parameters.AddWithValue("platform", account.Platform);
        upsert.Parameters.AddWithValue("status", status);
        upsert.Parameters.AddWithValue("verified", account.IsVerified);
        upsert.Parameters.Add(Array("external_ids", NpgsqlDbType.Text, unique.Select(i => i.ExternalId)));
        upsert.Parameters.Add(Array("titles", NpgsqlDbType.Text, unique.Select(i => PostgresText.Clean(i.Title))));
        upsert.Parameters.Add(Array("descriptions", NpgsqlDbType.Text, unique.Select(i => PostgresText.Clean(i.Description))));
        upsert.Parameters.Add(Array("urls", NpgsqlDbType.Text, unique.Select(i => PostgresText.Clean(i.Url))));
        upsert.Parameters.Add(Array("thumbnail_urls", NpgsqlDbType.Text, unique.Select(i => PostgresText.Clean(i.Thumbnail?.Url))));
        upsert.Parameters.Add(Array("published_at", NpgsqlDbType.TimestampTz, unique.Select(i => i.PublishedAt?.ToUniversalTime())));
        upsert.Parameters.Add(Array("durations", NpgsqlDbType.Integer, unique.Select(i => i.DurationSeconds)));
        upsert.Parameters.Add(Array("view_counts", NpgsqlDbType.Bigint, unique.Select(i => i.ViewCount)));
        upsert.Parameters.Add(Array("like_counts", NpgsqlDbType.Bigint, unique.Select(i => i.LikeCount)));
        upsert.Parameters.Add(Array("category_ids", NpgsqlDbType.Smallint, unique.Select(i => i.CategoryId)));
        upsert.Parameters.Add(Array("hashes", NpgsqlDbType.Text, unique.Select(i => i.ContentHash())));
        upsert.Parameters.Add(Array("meta_titles", NpgsqlDbType.Text, unique.Select(i => ImportedItem.MetaTitle(i.Title))));
        upsert.Parameters.Add(Array("meta_descriptions", NpgsqlDbType.Text, unique.Select(i => ImportedItem.MetaDescription(i.Description))));

        var changed = new List<(Guid Id, ImportedItem Item)>();
        var inserted = 0;
        await using (var reader = await upsert.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                changed.Add((reader.GetGuid(0), byExternalId[reader.GetString(1)]));
                inserted += reader.GetBoolean(2) ? 1 : 0;
            }
        }

        var ids = changed.Select(c => c.Id).ToArray();
        int countersRefreshed;
        await using (var counters = new NpgsqlCommand(RefreshCounters, connection, transaction))
        {
            counters.Parameters.AddWithValue("creator", account.UserId);
            counters.Parameters.AddWithValue("platform", account.Platform);
            counters.Parameters.Add(Array("external_ids", NpgsqlDbType.Text, unique.Select(i => i.ExternalId)));
            counters.Parameters.Add(Array("view_counts", NpgsqlDbType.Bigint, unique.Select(i => i.ViewCount)));
            counters.Parameters.Add(Array("like_counts", NpgsqlDbType.Bigint, unique.Select(i => i.LikeCount)));
            counters.Parameters.AddWithValue("changed_ids", ids);
            countersRefreshed = await counters.ExecuteNonQueryAsync(cancellationToken);
        }

        if (changed.Count == 0)
        {
            return UpsertOutcome.None with { CountersRefreshed = countersRefreshed };
        }

        var media = changed.SelectMany(c => c.Item.Media
            .Select(m => m with { Url = PostgresText.Clean(m.Url)!, ContentType = PostgresText.Truncate(m.ContentType, 255) })
            .DistinctBy(m => m.Url).Select((m, position) => (c.Id, Media: m, Position: (short)position))).ToList();
        var tags = changed.SelectMany(c => c.Item.Tags.Select(tag => (c.Id, Tag: tag))).ToList();
        await using (var replace = new NpgsqlCommand(ReplaceMediaAndTags, connection, transaction))
        {
            replace.Parameters.AddWithValue("content_ids", ids);
            replace.Parameters.Add(Array("media_content_ids", NpgsqlDbType.Uuid, media.Select(m => m.Id)));
            replace.Parameters.Add(Array("media_kinds", NpgsqlDbType.Text, media.Select(m => m.Media.Kind)));
            replace.Parameters.Add(Array("media_urls", NpgsqlDbType.Text, media.Select(m => m.Media.Url)));
            replace.Parameters.Add(Array("media_widths", NpgsqlDbType.Integer, media.Select(m => m.Media.Width is > 0 ? m.Media.Width : null)));
            replace.Parameters.Add(Array("media_heights", NpgsqlDbType.Integer, media.Select(m => m.Media.Height is > 0 ? m.Media.Height : null)));
            replace.Parameters.Add(Array("media_types", NpgsqlDbType.Text, media.Select(m => m.Media.ContentType)));
            replace.Parameters.Add(Array("media_positions", NpgsqlDbType.Smallint, media.Select(m => m.Position)));
            replace.Parameters.Add(Array("tag_content_ids", NpgsqlDbType.Uuid, tags.Select(t => t.Id)));
            replace.Parameters.Add(Array("tags", NpgsqlDbType.Text, tags.Select(t => t.Tag)));
            await replace.ExecuteNonQueryAsync(cancellationToken);
        }

        // Follow-up work for exactly the rows this transaction changed: enqueued with them, or not at all (one round trip).
        var chunks = ids.Chunk(IContentBatchArgs.MaxContentIds).ToList();
        await JobQueueClient.EnqueueManyAsync(
            connection,
            transaction,
            [.. chunks.Select(chunk => new TagContentArgs(chunk)), .. chunks.Select(chunk => new RefreshMediaArgs(chunk))],
            new EnqueueOptions { UserId = account.UserId },
            cancellationToken);

        return new UpsertOutcome(inserted, changed.Count - inserted, ids, countersRefreshed);
    }

    private static NpgsqlParameter Array<T>(string name, NpgsqlDbType type, IEnumerable<T> values) =>
        new(name, NpgsqlDbType.Array | type) { Value = values.ToArray() };
}
