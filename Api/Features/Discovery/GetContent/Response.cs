namespace Platform.Api.Features.Discovery.GetContent;

public sealed record Response(
    Guid Id,
    string Slug,
    string Title,
    string Description,
    string? Url,
    string? ThumbnailUrl,
    string? OgImageUrl,
    string Platform,
    string? ExternalId,
    Category? Category,
    DateTimeOffset PublishedAt,
    DateTimeOffset UpdatedAt,
    int? DurationSeconds,
    long? ViewCount,
    long? LikeCount,
    long ClickCount,
    string? MetaTitle,
    string? MetaDescription,
    string? CanonicalUrl,
    IReadOnlyList<string> Tags,
    IReadOnlyList<Media> Media,
    Creator Creator);

public sealed record Category(string Slug, string Name);

public sealed record Media(string Kind, string Url, int? Width, int? Height, string? ContentType);

public sealed record Creator(string Username, string? DisplayName, string? AvatarUrl, string? Bio, string? WebsiteUrl);
