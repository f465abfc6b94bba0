namespace Platform.Core.Ingestion;

/// <summary>Ingestion settings, section <c>Ingestion</c>.</summary>
public sealed class IngestionOptions
{
    public const string Section = "Ingestion";

    /// <summary>How often the schedule looks for accounts whose <c>next_sync_at</c> is due (one replica per tick).</summary>
    public TimeSpan ScheduleInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Sync interval of accounts that have none of their own.</summary>
    public TimeSpan DefaultSyncInterval { get; set; } = TimeSpan.FromHours(6);

    /// <summary>Most syncs one tick enqueues.</summary>
    public int ScheduleBatchSize { get; set; } = 500;

    /// <summary>Media not checked for this long are checked again (refresh_media), so dead thumbnails get flagged.</summary>
    public TimeSpan MediaRecheckAge { get; set; } = TimeSpan.FromDays(7);

    /// <summary>Most content items whose media the schedule re-checks per hour (in jobs of 500).</summary>
    public int MediaRecheckPerHour { get; set; } = 2000;

    /// <summary>
    /// Whether feeds and media may be fetched from loopback, private, link-local and reserved addresses and on any
    /// port. Off in production (feed URLs come from users: no requests into our own network); tests and local demos
    /// turn it on for their local servers.
    /// </summary>
    public bool AllowPrivateNetworks { get; set; }

    /// <summary>
    /// Whether what an unverified platform account imports stays hidden (content status <c>pending_verification</c>)
    /// until its owner proves ownership (YouTube OAuth, or the account's token in the feed). On by default; local
    /// demos may turn it off (<c>Ingestion__RequireOwnershipVerification=false</c>), and then imports are published
    /// at once. Switching it changes what later syncs write, not what is stored.
    /// </summary>
    public bool RequireOwnershipVerification { get; set; } = true;

    /// <summary>Ports besides 80 and 443 that feed and media URLs may use (<c>Ingestion__AllowedPorts__0=8080</c>).</summary>
    public List<int> AllowedPorts { get; set; } = [];

    /// <summary>Total deadline of one feed fetch, headers and body together (a server that drips bytes cannot hold a slot longer).</summary>
    public TimeSpan FeedFetchTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Total deadline of one media check (HEAD and the ranged GET together).</summary>
    public TimeSpan MediaFetchTimeout { get; set; } = TimeSpan.FromSeconds(10);
}
