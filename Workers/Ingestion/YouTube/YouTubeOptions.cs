namespace Platform.Workers.Ingestion.YouTube;

/// <summary>YouTube Data API v3 settings, section <c>YouTube</c> (<c>YouTube__ApiKey</c>, <c>YouTube__ApiBase</c>).</summary>
public sealed class YouTubeOptions
{
    public const string Section = "YouTube";

    public string? ApiKey { get; set; }

    /// <summary>The API's base URL; tests point it at a local fake.</summary>
    public Uri ApiBase { get; set; } = new("https://www.googleapis.com/youtube/v3/");
}
