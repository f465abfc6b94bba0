using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Npgsql;
using NpgsqlTypes;
using Platform.Core.Jobs.Args;
using Platform.Workers.Ingestion;
using Platform.Workers.Ingestion.Media;
using Platform.Workers.Queue;

namespace Platform.Workers.Handlers;

/// <summary>
/// <c>refresh_media</c>: checks every medium of the given items (4 at a time) and records content type, size and
/// dimensions where found, <c>is_dead</c> and <c>checked_at</c>. Checks that could not tell (timeouts, 5xx) leave the row
/// as it was, so a flaky CDN never marks media dead.
/// </summary>
public sealed class RefreshMediaHandler(NpgsqlDataSource dataSource, MediaProbe probe, DiscoveryCacheInvalidator invalidator)
    : JobHandler<RefreshMediaArgs>
{
    protected override async Task<JsonNode?> HandleAsync(RefreshMediaArgs args, JobContext context, CancellationToken cancellationToken)
    {
        var ids = args.ContentIds;
        var media = new List<(Guid Id, string Url, bool NeedDimensions, bool WasDead, Guid CreatorId)>();
        await using (var select = dataSource.CreateCommand(
            """
            SELECT m.id, m.url, m.width IS NULL OR m.height IS NULL, m.is_dead, c.creator_id
            FROM content_media m JOIN content_item c ON c.id = m.content_id
            WHERE m.content_id = ANY(@ids)
            """))
        {
            select.Parameters.AddWithValue("ids", ids);
            await using var reader = await select.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                media.Add((reader.GetGuid(0), reader.GetString(1), reader.GetBoolean(2), reader.GetBoolean(3), reader.GetGuid(4)));
            }
        }

        var checks = new ConcurrentDictionary<Guid, MediaCheck>();
        var done = 0;
        await Parallel.ForEachAsync(media, new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = cancellationToken }, async (medium, ct) =>
        {
            checks[medium.Id] = await probe.CheckAsync(medium.Url, medium.NeedDimensions, ct);
            var count = Interlocked.Increment(ref done);
            if (count % 20 == 0)
            {
                await context.ReportProgressAsync(count * 100 / media.Count, $"{count} of {media.Count} media checked", ct);
            }
        });

        var known = checks.Where(c => c.Value.Dead is not null).ToList();
        await using (var update = dataSource.CreateCommand(
            """
            UPDATE content_media m SET
                is_dead      = r.dead,
                checked_at   = now(),
                content_type = coalesce(r.content_type, m.content_type),
                width        = coalesce(r.width, m.width),
                height       = coalesce(r.height, m.height),
                byte_size    = coalesce(r.byte_size, m.byte_size)
            FROM unnest(@ids, @dead, @types, @widths, @heights, @sizes) AS r(id, dead, content_type, width, height, byte_size)
            WHERE m.id = r.id
            """))
        {
            update.Parameters.AddWithValue("ids", known.Select(k => k.Key).ToArray());
            update.Parameters.AddWithValue("dead", known.Select(k => k.Value.Dead!.Value).ToArray());
            update.Parameters.Add(new NpgsqlParameter("types", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = known.Select(k => k.Value.ContentType).ToArray() });
            update.Parameters.Add(new NpgsqlParameter("widths", NpgsqlDbType.Array | NpgsqlDbType.Integer) { Value = known.Select(k => k.Value.Width is > 0 ? k.Value.Width : null).ToArray() });
            update.Parameters.Add(new NpgsqlParameter("heights", NpgsqlDbType.Array | NpgsqlDbType.Integer) { Value = known.Select(k => k.Value.Height is > 0 ? k.Value.Height : null).ToArray() });
            update.Parameters.Add(new NpgsqlParameter("sizes", NpgsqlDbType.Array | NpgsqlDbType.Bigint) { Value = known.Select(k => k.Value.ByteSize is >= 0 ? k.Value.ByteSize : null).ToArray() });
            await update.ExecuteNonQueryAsync(cancellationToken);
        }

        // Dead or revived media change what discovery pages show.
        foreach (var creator in media.Where(m => checks.TryGetValue(m.Id, out var c) && c.Dead is { } dead && dead != m.WasDead).Select(m => m.CreatorId).Distinct())
        {
            await invalidator.ContentChangedAsync(creator);
        }

        return new JsonObject
        {
            ["checked"] = known.Count,
            ["dead"] = known.Count(k => k.Value.Dead == true),
            ["unknown"] = media.Count - known.Count,
        };
    }
}
