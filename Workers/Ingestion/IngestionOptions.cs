namespace Platform.Workers.Ingestion;

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
    /// Whether feeds and media may be fetched from loopback, private and link-local addresses. Off in production
    /// (feed URLs come from users: no requests into our own network); tests turn it on for their local fakes.
    /// </summary>
    public bool AllowPrivateNetworks { get; set; }
}
