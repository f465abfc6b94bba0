namespace Platform.Workers.Queue;

/// <summary>Queue processing settings, section <c>Workers</c> (e.g. <c>Workers__Queues__default=16</c>).</summary>
public sealed class WorkerOptions
{
    public const string Section = "Workers";

    /// <summary>Queues this process serves and how many jobs of each it runs at once.</summary>
    public Dictionary<string, int> Queues { get; set; } = new() { ["default"] = 16, ["webhooks"] = 4 };

    /// <summary>Most jobs claimed in one statement.</summary>
    public int ClaimBatchSize { get; set; } = 100;

    /// <summary>
    /// Claimed jobs a queue may hold in its local buffer beyond those running (default: its concurrency). More means
    /// bigger claims for short jobs; less means long jobs are not held back from other replicas.
    /// </summary>
    public int? Prefetch { get; set; }

    /// <summary>How long a claimed job stays ours without a heartbeat.</summary>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(20);

    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Fallback when no NOTIFY arrives (delayed jobs, retries, a lost LISTEN connection).</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Silence on the LISTEN connection before it is checked with <c>SELECT 1</c> (<c>Workers:ListenCheckInterval</c>):
    /// a half-open connection is replaced within about 2.5× this (<see cref="Platform.Core.Data.ListenConnection"/>).
    /// </summary>
    public TimeSpan ListenCheckInterval { get; set; } = Platform.Core.Data.ListenConnection.DefaultCheckInterval;

    /// <summary>How often expired leases are looked for (one replica per tick).</summary>
    public TimeSpan RescueInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>On shutdown, in-flight jobs get this long to finish; the rest are released back to pending.</summary>
    public TimeSpan ShutdownGrace { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Most completions written in one statement.</summary>
    public int CompletionBatchSize { get; set; } = 500;

    /// <summary>
    /// Completion batches written at once (each its own connection and transaction). One is the fastest on a small
    /// machine with PostgreSQL next to it (2 cores: 29,000 no-op jobs/s with one, 25,500-27,500 with two, because
    /// concurrent completions contend for the same pages); more may help when commits wait on a slow disk.
    /// </summary>
    public int CompletionWriters { get; set; } = 1;

    /// <summary>
    /// Finished jobs (completed, failed, cancelled) and their <c>job_log</c> rows are deleted this long after they
    /// finished (default 30 days; <c>Workers__JobRetention</c>).
    /// </summary>
    public TimeSpan JobRetention { get; set; } = TimeSpan.FromDays(30);

    /// <summary>How often old jobs are deleted, by one replica per tick (default 1 h; zero disables).</summary>
    public TimeSpan JobRetentionInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Most jobs deleted per statement (each batch its own short transaction).</summary>
    public int JobRetentionBatchSize { get; set; } = 1000;

    /// <summary>How often expired <c>query_cache</c> rows are deleted (default 5 min; zero disables).</summary>
    public TimeSpan QueryCachePurgeInterval { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Defaults to machine:pid:random.</summary>
    public string? WorkerId { get; set; }
}
