namespace Platform.Workers.Trending;

/// <summary>Settings of the trending schedule, section <c>Trending</c>.</summary>
public sealed class TrendingOptions
{
    public const string Section = "Trending";

    /// <summary>False: this process does not run the schedule (e.g. a replica dedicated to other work).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Seconds between ticks.</summary>
    public int IntervalSeconds { get; set; } = 60;

    /// <summary>Hacker News' gravity: how fast old clicks stop counting (1.8 there). Higher = fresher.</summary>
    public double Gravity { get; set; } = 1.8;

    /// <summary>Rows kept per window overall, and per category.</summary>
    public int Top { get; set; } = 10_000;

    public int TopPerCategory { get; set; } = 1_000;

    /// <summary>Clicks younger than this wait for the next tick (see rollup_content_clicks()).</summary>
    public int SettleSeconds { get; set; } = 5;

    /// <summary>
    /// Newest published items kept in <c>search_recent</c> (migration 033) by <c>trim_search_recent</c> on every tick:
    /// the search ranks a word's matches among them first and reads the index of all items only when they hold fewer
    /// than 4 × the page. Larger: more words served there, and a larger bitmap for each.
    /// </summary>
    public int SearchRecentItems { get; set; } = 50_000;
}
