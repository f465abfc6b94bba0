using System.Text.Json.Nodes;
using Npgsql;
using NpgsqlTypes;
using Platform.Core.Ingestion;
using Platform.Core.Jobs.Args;
using Platform.Workers.Ingestion;
using Platform.Workers.Ingestion.Tagging;
using Platform.Workers.Queue;

namespace Platform.Workers.Handlers;

/// <summary>
/// <c>tag_content</c>: AI tags for new or changed items (the syncs enqueue it with the rows they changed). The
/// platform's own tags are written by the sync with the item itself; this job replaces the item's <c>ai</c> tags with
/// what the tagger suggests, all items of the job in one transaction. <see cref="TaggingRouter"/> picks the tagger per
/// item: the configured model while the creator's plan and the platform have AI calls left today, else the keyword
/// tagger (<c>ai_calls</c>, <c>keyword_fallback</c> and the first bound met, <c>limited</c>, in the result).
/// </summary>
public sealed class TagContentHandler(NpgsqlDataSource dataSource, TaggingRouter tagger, DiscoveryCacheInvalidator invalidator)
    : JobHandler<TagContentArgs>
{
    protected override async Task<JsonNode?> HandleAsync(TagContentArgs args, JobContext context, CancellationToken cancellationToken)
    {
        var ids = args.ContentIds;
        var items = new List<(TaggableContent Content, Guid CreatorId)>();
        await using (var select = dataSource.CreateCommand(
            """
            SELECT c.id, c.creator_id, c.title, c.description,
                   coalesce(array_agg(t.tag ORDER BY t.tag) FILTER (WHERE t.tag IS NOT NULL), '{}')
            FROM content_item c
            LEFT JOIN content_tag t ON t.content_id = c.id AND t.source = 'platform'
            WHERE c.id = ANY(@ids)
            GROUP BY c.id
            """))
        {
            select.Parameters.AddWithValue("ids", ids);
            await using var reader = await select.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                items.Add((new TaggableContent(reader.GetGuid(0), reader.GetString(2), reader.GetString(3), reader.GetFieldValue<string[]>(4)), reader.GetGuid(1)));
            }
        }

        var suggestions = new List<(Guid Id, SuggestedTag Tag)>();
        var done = 0;
        var (aiCalls, fallbacks) = (0, 0);
        PlanLimitNote? limited = null;
        foreach (var item in items)
        {
            var routed = await tagger.TagAsync(item.Content, item.CreatorId, cancellationToken);
            aiCalls += routed.ByModel ? 1 : 0;
            if (routed.Limited is not null)
            {
                fallbacks++;
                limited ??= routed.Limited;
            }

            foreach (var tag in routed.Tags)
            {
                if (ImportedItem.NormalizeTag(tag.Tag) is { } normalized)
                {
                    suggestions.Add((item.Content.Id, tag with { Tag = normalized, Confidence = tag.Confidence is { } c ? Math.Clamp(c, 0, 1) : null }));
                }
            }

            if (++done % 10 == 0)
            {
                await context.ReportProgressAsync(done * 100 / items.Count, $"{done} of {items.Count} items tagged", cancellationToken);
            }
        }

        var unique = suggestions.DistinctBy(s => (s.Id, s.Tag.Tag)).ToList();
        await using (var connection = await dataSource.OpenConnectionAsync(cancellationToken))
        await using (var transaction = await connection.BeginTransactionAsync(cancellationToken))
        {
            await using var write = new NpgsqlCommand(
                """
                DELETE FROM content_tag WHERE content_id = ANY(@items) AND source = 'ai';
                INSERT INTO content_tag (content_id, tag, source, confidence)
                SELECT t.content_id, t.tag, 'ai', t.confidence
                FROM unnest(@ids, @tags, @confidences) AS t(content_id, tag, confidence)
                WHERE EXISTS (SELECT 1 FROM content_item c WHERE c.id = t.content_id)
                ON CONFLICT DO NOTHING;
                """,
                connection,
                transaction);
            write.Parameters.AddWithValue("items", items.Select(i => i.Content.Id).ToArray());
            write.Parameters.AddWithValue("ids", unique.Select(s => s.Id).ToArray());
            write.Parameters.AddWithValue("tags", unique.Select(s => s.Tag.Tag).ToArray());
            write.Parameters.Add(new NpgsqlParameter("confidences", NpgsqlDbType.Array | NpgsqlDbType.Real) { Value = unique.Select(s => s.Tag.Confidence).ToArray() });
            await write.ExecuteNonQueryAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }

        foreach (var creator in items.Select(i => i.CreatorId).Distinct())
        {
            await invalidator.ContentChangedAsync(creator);
        }

        return new JsonObject
        {
            ["items"] = items.Count,
            ["tags"] = unique.Count,
            ["missing"] = ids.Length - items.Count,
            ["ai_calls"] = aiCalls,
            ["keyword_fallback"] = fallbacks,
            ["limited"] = limited is null ? null : (limited with { LeftOut = fallbacks }).ToJson(),
        };
    }
}
