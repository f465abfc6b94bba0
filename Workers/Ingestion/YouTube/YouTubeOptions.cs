namespace Platform.Workers.Ingestion.YouTube;

/// <summary>
/// YouTube Data API v3 settings, section <c>YouTube</c> (<c>YouTube__ApiKey</c>, <c>YouTube__ApiBase</c>,
/// <c>YouTube__SharedWalkMaxAge</c>).
/// </summary>
public sealed class YouTubeOptions
{
    public const string Section = "YouTube";

    public string? ApiKey { get; set; }

    /// <summary>The API's base URL; tests point it at a local fake.</summary>
    public Uri ApiBase { get; set; } = new("https://www.googleapis.com/youtube/v3/");

    /// <summary>
    /// How recent a complete walk of a channel by another account must be for a sync to walk only the uploads not
    /// stored yet (<see cref="ChannelWalks"/>); default 1 day, <c>00:00:00</c> makes every sync walk the whole list.
    /// </summary>
    public TimeSpan SharedWalkMaxAge { get; set; } = TimeSpan.FromDays(1);
}
