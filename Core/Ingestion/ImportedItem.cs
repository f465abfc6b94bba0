using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Platform.Core.Data;

namespace Platform.Core.Ingestion;

/// <summary>
/// A medium of an imported item. <see cref="Kind"/> is <c>thumbnail</c>, <c>image</c>, <c>video</c>, <c>audio</c>,
/// <c>player</c> (an embeddable player, e.g. Flash or an HTML page) or <c>document</c> (any other enclosure).
/// </summary>
public sealed record ImportedMedia(string Url, string Kind, int? Width = null, int? Height = null, string? ContentType = null);

/// <summary>One video or feed entry as an importer read it, before it becomes a <c>content_item</c> row.</summary>
public sealed record ImportedItem
{
    public required string ExternalId { get; init; }

    public required string Title { get; init; }

    public string Description { get; init; } = string.Empty;

    public string? Url { get; init; }

    public DateTimeOffset? PublishedAt { get; init; }

    public int? DurationSeconds { get; init; }

    public long? ViewCount { get; init; }

    public long? LikeCount { get; init; }

    public short? CategoryId { get; init; }

    /// <summary>Tags the platform gives (YouTube tags, RSS/Atom categories), normalized.</summary>
    public IReadOnlyList<string> Tags { get; init; } = [];

    /// <summary>In display order; the first thumbnail or image is the item's thumbnail.</summary>
    public IReadOnlyList<ImportedMedia> Media { get; init; } = [];

    /// <summary>The item's thumbnail (and og:image): its first medium that is a thumbnail or an image, never a video or a player.</summary>
    public ImportedMedia? Thumbnail => Media.FirstOrDefault(m => m.Kind is "thumbnail" or "image");

    /// <summary>
    /// SHA-256 of the fields an import writes, except the counters (views and likes change all the time and would
    /// make every re-sync rewrite every row): equal hash, nothing to write.
    /// </summary>
    public string ContentHash()
    {
        var text = new StringBuilder()
            .Append(Title).Append('\u001f')
            .Append(Description).Append('\u001f')
            .Append(Url).Append('\u001f')
            .Append(PublishedAt?.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture)).Append('\u001f')
            .Append(DurationSeconds).Append('\u001f')
            .Append(CategoryId).Append('\u001f')
            .AppendJoin('\u001e', Tags).Append('\u001f')
            .AppendJoin('\u001e', Media.Select(m => $"{m.Kind} {m.Url} {m.Width} {m.Height}"));
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }

    /// <summary>A tag as content_tag stores it (storable, lowercase, trimmed, 1-100 characters), or null.</summary>
    public static string? NormalizeTag(string? tag)
    {
        var normalized = PostgresText.Clean(tag)?.Trim().ToLowerInvariant();
        return string.IsNullOrEmpty(normalized) || normalized.Length > 100 ? null : normalized;
    }

    public static IReadOnlyList<string> NormalizeTags(IEnumerable<string?>? tags) =>
        tags?.Select(NormalizeTag).OfType<string>().Distinct(StringComparer.Ordinal).Take(50).ToList() ?? [];

    /// <summary>SEO title (<c>meta_title</c>): the title, at most 70 characters, cut at a text-element boundary.</summary>
    public static string MetaTitle(string title) => PostgresText.Truncate(title, 70)!;

    /// <summary>
    /// SEO description (<c>meta_description</c>): the text on one line, at most 160 characters with the ellipsis, cut
    /// at the last word that fits (after character 80), else at the last text-element boundary that fits.
    /// </summary>
    public static string MetaDescription(string text)
    {
        var oneLine = string.Join(' ', (PostgresText.Clean(text) ?? string.Empty).Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
        if (oneLine.Length <= 160)
        {
            return oneLine;
        }

        var cut = oneLine.LastIndexOf(' ', 159);
        return cut > 80 ? oneLine[..cut] + "…" : PostgresText.Truncate(oneLine, 160, "…")!;
    }
}
