using System.ComponentModel;
using Microsoft.Extensions.Caching.Hybrid;
using Microsoft.Extensions.Options;
using Npgsql;
using Platform.Api.Features.Discovery.Shared;
using Platform.Api.Features.Discovery;
using Platform.Core.Discovery;

namespace Platform.Api.Caching;

/// <summary>
/// The cache tags of a page addressed by a public name (an item's slug, a creator's username): HybridCache needs an
/// entry's tags before its factory runs, so the name is first resolved to the ids the tags are made of
/// (<see cref="DiscoveryCacheTags.ItemPage"/>, <see cref="DiscoveryCacheTags.CreatorPage"/>). A name that resolves to
/// nothing gets <see cref="DiscoveryCacheTags.MissingPage"/> (a username: <see cref="DiscoveryCacheTags.MissingCreatorPage"/>,
/// so a profile taking the name shows at once). The resolution itself is cached (one unique-index lookup) and goes with
/// the lists (its ids only change when a name is created, renamed or reassigned, which also flushes them). It is cached
/// in this replica's memory only, never in Redis: the lookup costs about 0.1 ms in PostgreSQL, less than the Redis read
/// and write around it, which on an uncached page were two of its six sequential round trips (diagnosis of 2026-11-30).
/// </summary>
public sealed class PublicPageTags(AnonymousDataSource anonymous, HybridCache cache, IOptions<DiscoveryOptions> options)
{
    private static readonly string[] ResolutionTags = [DiscoveryCacheTags.Content];

    /// <summary>
    /// The tags when <c>Discovery:CacheEnabled</c> is false: nothing is cached, so nothing is tagged, and the name is not
    /// resolved (a round trip that every uncached page made for nothing).
    /// </summary>
    private static readonly string[] Untagged = [];

    private readonly NpgsqlDataSource dataSource = anonymous.DataSource;
    private readonly bool enabled = options.Value.CacheEnabled;
    private readonly HybridCacheEntryOptions entryOptions = new()
    {
        Expiration = TimeSpan.FromSeconds(options.Value.DistributedCacheSeconds),
        LocalCacheExpiration = TimeSpan.FromSeconds(Math.Min(options.Value.LocalCacheSeconds, options.Value.DistributedCacheSeconds)),
        Flags = HybridCacheEntryFlags.DisableDistributedCache,
    };

    /// <summary>Tags of a page of the item <paramref name="slug"/> (lower-case): the item's and its creator's.</summary>
    public async ValueTask<string[]> ForItemAsync(string slug, CancellationToken ct)
    {
        if (!enabled)
        {
            return Untagged;
        }

        var owner = await ResolveAsync("slug:" + slug, """
            SELECT c.id, c.creator_id FROM content_item c WHERE c.slug = @name
            """, slug, ct, ResolutionTags);
        return owner.CreatorId is { } creator
            ? owner.ItemId is { } item ? DiscoveryCacheTags.ItemPage(item, creator) : DiscoveryCacheTags.CreatorPage(creator)
            : DiscoveryCacheTags.MissingPage;
    }

    /// <summary>
    /// The owner of a creator page: the public creator's id through <c>public_creator_id()</c> (migration 010), which is
    /// index-backed whatever the caller's role; a plain <c>users.username</c> lookup as <c>app_anonymous</c> is a
    /// sequential scan under row-level security (25 ms at 100,000 users).
    /// </summary>
    public const string CreatorOwnerSql = "SELECT NULL::uuid, id FROM (SELECT public_creator_id(@name) AS id) owner WHERE id IS NOT NULL";

    /// <summary>Tags of a page of the creator <paramref name="username"/> (lower-case).</summary>
    public async ValueTask<string[]> ForCreatorAsync(string username, CancellationToken ct)
    {
        if (!enabled)
        {
            return Untagged;
        }

        var owner = await ResolveAsync("username:" + username, CreatorOwnerSql, username, ct, DiscoveryCacheTags.MissingCreatorPage(username));
        return owner.CreatorId is { } creator ? DiscoveryCacheTags.CreatorPage(creator) : DiscoveryCacheTags.MissingCreatorPage(username);
    }

    private ValueTask<PageOwner> ResolveAsync(string key, string sql, string name, CancellationToken ct, string[] tags) =>
        cache.GetOrCreateAsync(
            "pub:owner:" + key,
            (dataSource, sql, name),
            static (s, token) => QueryAsync(s.dataSource, s.sql, s.name, token),
            entryOptions,
            tags,
            ct);

    private static async ValueTask<PageOwner> QueryAsync(NpgsqlDataSource dataSource, string sql, string name, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand(sql);
        command.Parameters.AddWithValue("name", name);
        await using var reader = await command.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct)
            ? new PageOwner(reader.IsDBNull(0) ? null : reader.GetGuid(0), reader.GetGuid(1))
            : new PageOwner(null, null);
    }
}

/// <summary>What a public name points at: an item and its creator, a creator only, or nothing.</summary>
[ImmutableObject(true)]
public sealed record PageOwner(Guid? ItemId, Guid? CreatorId);
