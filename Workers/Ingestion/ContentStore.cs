using System.Text.Json;
using Npgsql;
using NpgsqlTypes;
using Platform.Core.Jobs;

namespace Platform.Workers.Ingestion;

/// <summary>What one page of an import changed.</summary>
public sealed record UpsertOutcome(int Inserted, int Updated, IReadOnlyList<Guid> ChangedIds, int CountersRefreshed = 0)
{
    public static readonly UpsertOutcome None = new(0, 0, []);

    public int Changed => Inserted + Updated;
}

/// <summary>
/// Writes imported items: one page in one transaction (items, their media and platform tags, and the follow-up
/// <c>tag_content</c> / <c>refresh_media</c> jobs), so a failure leaves either the whole page or none of it.
/// </summary>
public sealed class ContentStore(NpgsqlDataSource dataSource)
{
    // Rows whose content_hash is unchanged are left alone (the DO UPDATE's WHERE), and are not returned. A row of
    // another creator with the same platform id (two users connecting one channel) is never taken over.
    private const string UpsertItems =
        """
        INSERT INTO content_item AS c (
            creator_id, platform_account_id, platform, external_id, title, description, url, canonical_url,
            thumbnail_url, og_image_url, published_at, duration_seconds, view_count, like_count, category_id,
            status, content_hash, meta_title, meta_description)
        SELECT @creator, @account, @platform, i.external_id, i.title, i.description, i.url, i.url,
               i.thumbnail_url, i.thumbnail_url, i.published_at, i.duration_seconds, i.view_count, i.like_count, i.category_id,
               'published', i.content_hash, left(i.title, 70), i.meta_description
        FROM unnest(@external_ids, @titles, @descriptions, @urls, @thumbnail_urls, @published_at, @durations,
                    @view_counts, @like_counts, @category_ids, @hashes, @meta_descriptions)
             AS i(external_id, title, description, url, thumbnail_url, published_at, duration_seconds,
                  view_count, like_count, category_id, content_hash, meta_description)
        ON CONFLICT (platform, external_id) DO UPDATE SET
            platform_account_id = EXCLUDED.platform_account_id,
            title               = EXCLUDED.title,
            description         = EXCLUDED.description,
            url                 = EXCLUDED.url,
            canonical_url       = EXCLUDED.canonical_url,
            thumbnail_url       = EXCLUDED.thumbnail_url,
            og_image_url        = EXCLUDED.og_image_url,
            published_at        = EXCLUDED.published_at,
            duration_seconds    = EXCLUDED.duration_seconds,
            view_count          = EXCLUDED.view_count,
            like_count          = EXCLUDED.like_count,
            category_id         = coalesce(c.category_id, EXCLUDED.category_id),
            status              = CASE WHEN c.status = 'removed' THEN 'published' ELSE c.status END,
            content_hash        = EXCLUDED.content_hash,
            meta_title          = EXCLUDED.meta_title,
            meta_description    = EXCLUDED.meta_description
        WHERE c.creator_id = EXCLUDED.creator_id
          AND (c.content_hash IS DISTINCT FROM EXCLUDED.content_hash OR c.status = 'removed')
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
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var outcome = items.Count == 0 ? UpsertOutcome.None : await WriteAsync(connection, transaction, account, items, cancellationToken);
        if (alsoInTransaction is not null)
        {
            await alsoInTransaction(connection, transaction);
        }

        await transaction.CommitAsync(cancellationToken);
        return outcome;
    }

    /// <summary>
    /// Marks the account's items that the platform no longer lists as <c>removed</c> (after a complete listing only);
    /// returns how many.
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

    private static async Task<UpsertOutcome> WriteAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, PlatformAccount account, IReadOnlyList<ImportedItem> items, CancellationToken cancellationToken)
    {
        // One row per external id (a feed may repeat an entry): the last one wins.
        var unique = items.GroupBy(i => i.ExternalId, StringComparer.Ordinal).Select(g => g.Last()).ToList();
        var byExternalId = unique.ToDictionary(i => i.ExternalId, StringComparer.Ordinal);

        await using var upsert = new NpgsqlCommand(UpsertItems, connection, transaction);
        upsert.Parameters.AddWithValue("creator", account.UserId);
        upsert.Parameters.AddWithValue("account", account.Id);
        upsert.Parameters.AddWithValue("platform", account.Platform);
        upsert.Parameters.Add(Array("external_ids", NpgsqlDbType.Text, unique.Select(i => i.ExternalId)));
        upsert.Parameters.Add(Array("titles", NpgsqlDbType.Text, unique.Select(i => i.Title)));
        upsert.Parameters.Add(Array("descriptions", NpgsqlDbType.Text, unique.Select(i => i.Description)));
        upsert.Parameters.Add(Array("urls", NpgsqlDbType.Text, unique.Select(i => i.Url)));
        upsert.Parameters.Add(Array("thumbnail_urls", NpgsqlDbType.Text, unique.Select(i => i.Media.FirstOrDefault()?.Url)));
        upsert.Parameters.Add(Array("published_at", NpgsqlDbType.TimestampTz, unique.Select(i => i.PublishedAt?.ToUniversalTime())));
        upsert.Parameters.Add(Array("durations", NpgsqlDbType.Integer, unique.Select(i => i.DurationSeconds)));
        upsert.Parameters.Add(Array("view_counts", NpgsqlDbType.Bigint, unique.Select(i => i.ViewCount)));
        upsert.Parameters.Add(Array("like_counts", NpgsqlDbType.Bigint, unique.Select(i => i.LikeCount)));
        upsert.Parameters.Add(Array("category_ids", NpgsqlDbType.Smallint, unique.Select(i => i.CategoryId)));
        upsert.Parameters.Add(Array("hashes", NpgsqlDbType.Text, unique.Select(i => i.ContentHash())));
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

        var media = changed.SelectMany(c => c.Item.Media.DistinctBy(m => m.Url).Select((m, position) => (c.Id, Media: m, Position: (short)position))).ToList();
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

        // Follow-up work for exactly the rows this transaction changed: enqueued with them, or not at all.
        foreach (var chunk in ids.Chunk(IngestionJobTypes.MaxContentIdsPerJob))
        {
            var payload = JsonSerializer.SerializeToElement(new Dictionary<string, Guid[]> { ["content_ids"] = chunk });
            foreach (var type in new[] { JobTypes.TagContent, JobTypes.RefreshMedia })
            {
                await JobQueueClient.EnqueueAsync(connection, transaction, new EnqueueRequest(type, payload) { UserId = account.UserId }, cancellationToken);
            }
        }

        return new UpsertOutcome(inserted, changed.Count - inserted, ids, countersRefreshed);
    }

    private static NpgsqlParameter Array<T>(string name, NpgsqlDbType type, IEnumerable<T> values) =>
        new(name, NpgsqlDbType.Array | type) { Value = values.ToArray() };
}
