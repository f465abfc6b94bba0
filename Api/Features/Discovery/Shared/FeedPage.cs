namespace Platform.Api.Features.Discovery.Shared;

/// <summary>A page of a keyset-paginated list: <c>next_cursor</c> is null on the last page.</summary>
public sealed record FeedPage(IReadOnlyList<ContentCard> Items, string? NextCursor);
