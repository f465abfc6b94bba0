namespace Platform.Api.Features.Discovery.GetCreator;

public sealed class Request
{
    /// <summary>Route: the creator's username (case-insensitive).</summary>
    public string Username { get; set; } = "";

    /// <summary>The <c>next_cursor</c> of the previous page of their content.</summary>
    public string? Cursor { get; set; }

    /// <summary>1..100, default 20.</summary>
    public int? Limit { get; set; }
}

public sealed record Profile(
    string Username,
    string? DisplayName,
    string? Bio,
    string? AvatarUrl,
    string? WebsiteUrl,
    System.Text.Json.JsonElement SocialLinks,
    long ContentCount,
    DateTimeOffset JoinedAt,
    DateTimeOffset? ProfileUpdatedAt);

public sealed record Response(Profile Creator, IReadOnlyList<Shared.ContentCard> Items, string? NextCursor);
