using System.ComponentModel;
using Microsoft.Extensions.Caching.Hybrid;
using Microsoft.Extensions.Options;
using Npgsql;
using Platform.Api.Features.Discovery;
using Platform.Api.Features.Discovery.Shared;

namespace Platform.Api.Features.Seo.Sitemap;

public sealed record SitemapShard(int Index, Guid FirstId, Guid? NextFirstId, DateTimeOffset LastModified, int Count);

[ImmutableObject(true)]
public sealed class SitemapPlan
{
    public required SitemapShard[] Shards { get; init; }
}

/// <summary>
/// Splits the public content and the public creators into shards of at most <see cref="DiscoveryOptions.SitemapShardSize"/>
/// URLs (the protocol's limit is 50,000) by id ranges: one pass computes each shard's first id and newest change; a
/// shard is then a primary-key range scan. Because the pass reads every public row, a plan is computed on a timer
/// (reused for <see cref="DiscoveryOptions.SitemapPlanSeconds"/>, shared by the replicas through Redis), never on a
/// content change. Shards are id ranges (the first open below, the last open above) read with the list-flushed cache, so changed and
/// removed URLs show within a list flush; a shard that has grown past the shard size shows its first
/// <see cref="ShardSize"/> URLs until the next plan (at most <see cref="DiscoveryOptions.SitemapPlanSeconds"/>).
/// The category and tag pages (<see cref="Categories"/>, <see cref="Tags"/>) are one file each: their plan, on the same
/// timer, is that file's URL count and newest lastmod (<see cref="SitemapListings"/>).
/// </summary>
public sealed class SitemapPlanner(AnonymousDataSource anonymous, HybridCache cache, IOptions<DiscoveryOptions> options)
{
    private readonly NpgsqlDataSource dataSource = anonymous.DataSource;

    public const string Content = "content";
    public const string Creators = "creators";

    /// <summary>The category pages (<see cref="SitemapListings"/>): one file.</summary>
    public const string Categories = "categories";

    /// <summary>The most used tags' pages (<see cref="SitemapListings"/>): one file of at most <see cref="ShardSize"/>.</summary>
    public const string Tags = "tags";

    /// <summary>Every kind of sitemap file, in the index's order.</summary>
    public static readonly string[] Kinds = [Content, Creators, Categories, Tags];

    /// <summary>Whether <paramref name="kind"/> is a list page kind (one file of <see cref="SitemapListings"/>) rather than id-range shards.</summary>
    public static bool IsListing(string kind) => kind is Categories or Tags;

    public int ShardSize => Math.Clamp(options.Value.SitemapShardSize, 1, 50_000);

    public ValueTask<SitemapPlan> GetAsync(string kind, CancellationToken ct)
    {
        if (!options.Value.CacheEnabled)
        {
            return ComputeAsync(kind, ct);
        }

        return GetCachedAsync(kind, ct);
    }

    private async ValueTask<SitemapPlan> GetCachedAsync(string kind, CancellationToken ct)
    {
        var key = $"pub:sitemap-plan:{kind}:{ShardSize}";
        var entry = new HybridCacheEntryOptions
        {
            Expiration = TimeSpan.FromSeconds(Math.Max(1, options.Value.SitemapPlanSeconds)),
            LocalCacheExpiration = TimeSpan.FromSeconds(Math.Clamp(options.Value.LocalCacheSeconds, 1, Math.Max(1, options.Value.SitemapPlanSeconds))),
        };
        var plan = await cache.GetOrCreateAsync(
            key, (planner: this, kind), static (s, token) => s.planner.ComputeAsync(s.kind, token), entry, cancellationToken: ct);
        if (plan.Shards.Length == 0)
        {
            // Nothing public yet: an empty pass costs nothing, so look again rather than hide the first content for a period.
            plan = await ComputeAsync(kind, ct);
            if (plan.Shards.Length > 0)
            {
                await cache.SetAsync(key, plan, entry, cancellationToken: ct);
            }
        }

        return plan;
    }

    private async ValueTask<SitemapPlan> ComputeAsync(string kind, CancellationToken ct)
    {
        if (IsListing(kind))
        {
            return await ComputeListingAsync(kind, ct);
        }

        var rows = kind == Content
            ? """
              SELECT c.id, greatest(c.updated_at, c.published_at) AS lastmod
              FROM content_item c JOIN users u ON u.id = c.creator_id
              WHERE c.status = 'published' AND u.is_public AND u.username IS NOT NULL
              """
            : """
              SELECT u.id, coalesce(u.profile_updated_at, u.created_at) AS lastmod
              FROM users u
              WHERE u.is_public AND u.username IS NOT NULL
              """;
        await using var command = dataSource.CreateCommand($"""
            WITH x AS (
                SELECT r.id, r.lastmod, (row_number() OVER (ORDER BY r.id) - 1) / @size AS shard
                FROM ({rows}) r
            ), y AS (
                SELECT shard, id, max(lastmod) OVER (PARTITION BY shard) AS lastmod, count(*) OVER (PARTITION BY shard) AS n,
                       row_number() OVER (PARTITION BY shard ORDER BY id) AS k
                FROM x
            )
            SELECT shard, id, lastmod, n FROM y WHERE k = 1 ORDER BY shard
            """);
        command.Parameters.AddWithValue("size", (long)ShardSize);
        command.CommandTimeout = 120;
        var starts = new List<(int Index, Guid First, DateTimeOffset LastModified, int Count)>();
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                starts.Add(((int)reader.GetInt64(0), reader.GetGuid(1), reader.GetFieldValue<DateTimeOffset>(2), (int)reader.GetInt64(3)));
            }
        }

        var shards = starts
            .Select((s, i) => new SitemapShard(s.Index, s.First, i + 1 < starts.Count ? starts[i + 1].First : null, s.LastModified, s.Count))
            .ToArray();
        return new SitemapPlan { Shards = shards };
    }

    /// <summary>A list page kind's plan: one shard (its URL count and newest lastmod), or none while nothing is public.</summary>
    private async ValueTask<SitemapPlan> ComputeListingAsync(string kind, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand($"SELECT count(*), max(x.lastmod) FROM ({SitemapListings.Sql(kind)}) x");
        command.Parameters.AddWithValue("size", ShardSize);
        command.CommandTimeout = 120;
        await using var reader = await command.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        var count = (int)reader.GetInt64(0);
        return new SitemapPlan
        {
            Shards = count == 0 ? [] : [new SitemapShard(0, Guid.Empty, null, reader.GetFieldValue<DateTimeOffset>(1), count)],
        };
    }
}
