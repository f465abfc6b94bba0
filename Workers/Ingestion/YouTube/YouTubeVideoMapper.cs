using System.Xml;
using Platform.Core.Data;
using Platform.Core.Ingestion;

namespace Platform.Workers.Ingestion.YouTube;

/// <summary>Turns a <c>videos.list</c> resource into an <see cref="ImportedItem"/>.</summary>
public static class YouTubeVideoMapper
{
    // Best first: the first thumbnail becomes the item's thumbnail and og:image.
    private static readonly string[] ThumbnailSizes = ["maxres", "standard", "high", "medium", "default"];

    // YouTube's video categories (videoCategories.list, region US) onto the platform's 15 categories.
    private static readonly Dictionary<string, short> Categories = new(StringComparer.Ordinal)
    {
        ["1"] = 5,   // Film & Animation -> entertainment
        ["2"] = 9,   // Autos & Vehicles -> lifestyle
        ["10"] = 2,  // Music
        ["15"] = 9,  // Pets & Animals -> lifestyle
        ["17"] = 6,  // Sports
        ["19"] = 10, // Travel & Events
        ["20"] = 1,  // Gaming
        ["22"] = 9,  // People & Blogs -> lifestyle
        ["23"] = 8,  // Comedy
        ["24"] = 5,  // Entertainment
        ["25"] = 7,  // News & Politics
        ["26"] = 9,  // Howto & Style -> lifestyle
        ["27"] = 3,  // Education
        ["28"] = 4,  // Science & Technology -> technology
    };

    /// <exception cref="YouTubeApiException">The resource lacks what every video has (id, snippet, title).</exception>
    public static ImportedItem ToItem(VideoResource video, DateTimeOffset? playlistPublishedAt)
    {
        if (string.IsNullOrWhiteSpace(video.Id) || video.Snippet is not { Title: not null } snippet)
        {
            throw new YouTubeApiException($"videos.list returned a video without id, snippet or title ({video.Id ?? "no id"}).");
        }

        return new ImportedItem
        {
            ExternalId = PostgresText.Clean(video.Id)!,
            Title = snippet.Title.Trim().Length == 0 ? video.Id : snippet.Title.Trim(),
            Description = snippet.Description ?? string.Empty,
            Url = $"https://www.youtube.com/watch?v={Uri.EscapeDataString(video.Id)}",
            PublishedAt = snippet.PublishedAt ?? playlistPublishedAt,
            DurationSeconds = Duration(video.ContentDetails?.Duration),
            ViewCount = video.Statistics?.ViewCount,
            LikeCount = video.Statistics?.LikeCount,
            CategoryId = snippet.CategoryId is { } category && Categories.TryGetValue(category, out var mapped) ? mapped : null,
            Tags = ImportedItem.NormalizeTags(snippet.Tags),
            Media = ThumbnailSizes
                .Select(size => snippet.Thumbnails?.GetValueOrDefault(size))
                .OfType<Thumbnail>()
                .Where(t => Uri.TryCreate(t.Url, UriKind.Absolute, out _))
                .Select(t => new ImportedMedia(t.Url, "thumbnail", t.Width, t.Height))
                .ToList(),
        };
    }

    /// <summary>ISO 8601 duration (<c>PT1H2M3S</c>, <c>P1DT2H</c>; <c>P0D</c> for live streams) in seconds, or null.</summary>
    public static int? Duration(string? iso8601)
    {
        if (string.IsNullOrWhiteSpace(iso8601))
        {
            return null;
        }

        try
        {
            var seconds = XmlConvert.ToTimeSpan(iso8601).TotalSeconds;
            return seconds is >= 0 and <= int.MaxValue ? (int)seconds : null;
        }
        catch (FormatException)
        {
            return null;
        }
        catch (OverflowException)
        {
            return null;
        }
    }
}
