using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Platform.Workers.Ingestion;

/// <summary>A medium of an imported item (a thumbnail, an enclosure image).</summary>
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

    /// <summary>In display order; the first is the item's thumbnail.</summary>
    public IReadOnlyList<ImportedMedia> Media { get; init; } = [];

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

    /// <summary>A tag as content_tag stores it (lowercase, trimmed, 1-100 characters), or null.</summary>
    public static string? NormalizeTag(string? tag)
    {
        var normalized = tag?.Trim().ToLowerInvariant();
        return string.IsNullOrEmpty(normalized) || normalized.Length > 100 ? null : normalized;
    }

    public static IReadOnlyList<string> NormalizeTags(IEnumerable<string?>? tags) =>
        tags?.Select(NormalizeTag).OfType<string>().Distinct(StringComparer.Ordinal).Take(50).ToList() ?? [];

    /// <summary>SEO description: the text's first ~160 characters on one line, cut at a word.</summary>
    public static string MetaDescription(string text)
    {
        var oneLine = string.Join(' ', text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
        if (oneLine.Length <= 160)
        {
            return oneLine;
        }

        var cut = oneLine.LastIndexOf(' ', 157);
        return oneLine[..(cut > 80 ? cut : 157)] + "…";
    }
}
