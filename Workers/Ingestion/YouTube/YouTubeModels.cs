using System.Text.Json.Serialization;

namespace Platform.Workers.Ingestion.YouTube;

// The YouTube Data API v3 resources this importer reads (only the fields it uses). JSON is camelCase.

public sealed record ChannelListResponse(List<ChannelResource>? Items);

public sealed record ChannelResource(string Id, ChannelSnippet? Snippet, ChannelContentDetails? ContentDetails);

public sealed record ChannelSnippet(string? Title, string? CustomUrl);

public sealed record ChannelContentDetails(RelatedPlaylists? RelatedPlaylists);

public sealed record RelatedPlaylists(string? Uploads);

public sealed record PlaylistItemListResponse(string? NextPageToken, PageInfo? PageInfo, List<PlaylistItemResource>? Items);

public sealed record PageInfo(int TotalResults, int ResultsPerPage);

public sealed record PlaylistItemResource(PlaylistItemContentDetails? ContentDetails);

public sealed record PlaylistItemContentDetails(string? VideoId, DateTimeOffset? VideoPublishedAt);

public sealed record VideoListResponse(List<VideoResource>? Items);

public sealed record VideoResource(string Id, VideoSnippet? Snippet, VideoContentDetails? ContentDetails, VideoStatistics? Statistics);

public sealed record VideoSnippet(
    DateTimeOffset? PublishedAt,
    string? ChannelId,
    string? Title,
    string? Description,
    Dictionary<string, Thumbnail>? Thumbnails,
    List<string>? Tags,
    string? CategoryId,
    string? LiveBroadcastContent);

public sealed record Thumbnail(string Url, int? Width, int? Height);

public sealed record VideoContentDetails(string? Duration);

/// <summary>Counts arrive as strings (<c>"viewCount": "1234"</c>).</summary>
public sealed record VideoStatistics(
    [property: JsonNumberHandling(JsonNumberHandling.AllowReadingFromString)] long? ViewCount,
    [property: JsonNumberHandling(JsonNumberHandling.AllowReadingFromString)] long? LikeCount);

/// <summary>The error body: <c>{"error":{"code":403,"message":"…","errors":[{"domain":"youtube.quota","reason":"quotaExceeded"}]}}</c>.</summary>
public sealed record ErrorResponse(ErrorBody? Error);

public sealed record ErrorBody(int Code, string? Message, List<ErrorDetail>? Errors);

public sealed record ErrorDetail(string? Reason, string? Domain, string? Message);
