using System.Net;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Platform.Core.Data;
using Platform.Core.Ingestion;
using Platform.Core.Jobs;

namespace Platform.Workers.Ingestion.YouTube;

/// <summary>The quota (daily units) or a rate limit is exhausted: try again later, nothing is wrong with the job.</summary>
public sealed class YouTubeQuotaExceededException(string reason, string message) : Exception(message)
{
    public string Reason { get; } = reason;
}

/// <summary>The channel or playlist does not exist (any more).</summary>
public sealed class YouTubeNotFoundException(string message) : Exception(message);

/// <summary>Any other API error, or a response that is not what the API documents: the attempt fails and is retried.</summary>
public sealed class YouTubeApiException(string message, Exception? inner = null) : JobFailureException(message, inner);

/// <summary>
/// A typed HttpClient for the three YouTube Data API v3 calls an import needs: <c>channels.list</c>
/// (<c>id</c> or <c>forHandle</c>; the uploads playlist in <c>contentDetails.relatedPlaylists.uploads</c>),
/// <c>playlistItems.list</c> (50 per page, <c>pageToken</c>) and <c>videos.list</c> (up to 50 ids per call).
/// Each call costs one quota unit.
/// </summary>
public sealed class YouTubeClient(HttpClient http, IOptions<YouTubeOptions> options)
{
    public const int MaxPageSize = 50;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>The channel with this id or handle (<c>@name</c>), or null when YouTube has none.</summary>
    public async Task<ChannelResource?> FindChannelAsync(string? channelId, string? handle, CancellationToken cancellationToken)
    {
        var filter = channelId is not null ? $"id={Uri.EscapeDataString(channelId)}" : $"forHandle={Uri.EscapeDataString(handle!)}";
        var response = await GetAsync<ChannelListResponse>($"channels?part=snippet,contentDetails&{filter}", cancellationToken);
        return response.Items?.FirstOrDefault();
    }

    public Task<PlaylistItemListResponse> ListPlaylistPageAsync(string playlistId, string? pageToken, CancellationToken cancellationToken) =>
        GetAsync<PlaylistItemListResponse>(
            $"playlistItems?part=contentDetails&maxResults={MaxPageSize}&playlistId={Uri.EscapeDataString(playlistId)}"
            + (pageToken is null ? string.Empty : $"&pageToken={Uri.EscapeDataString(pageToken)}"),
            cancellationToken);

    /// <summary>Details of up to 50 videos; private and deleted videos are simply absent from the answer.</summary>
    public async Task<List<VideoResource>> GetVideosAsync(IReadOnlyCollection<string> videoIds, CancellationToken cancellationToken)
    {
        if (videoIds.Count is 0 or > MaxPageSize)
        {
            throw new ArgumentOutOfRangeException(nameof(videoIds), $"1 to {MaxPageSize} ids per call");
        }

        var response = await GetAsync<VideoListResponse>(
            $"videos?part=snippet,contentDetails,statistics&maxResults={MaxPageSize}&id={string.Join(',', videoIds.Select(Uri.EscapeDataString))}",
            cancellationToken);
        return response.Items ?? [];
    }

    private async Task<T> GetAsync<T>(string relative, CancellationToken cancellationToken)
    {
        var key = options.Value.ApiKey;
        if (string.IsNullOrWhiteSpace(key))
        {
            throw new InvalidOperationException("YouTube__ApiKey is not configured.");
        }

        using var response = await http.GetAsync($"{relative}&key={Uri.EscapeDataString(key)}", cancellationToken);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw Failure(response.StatusCode, body, relative);
        }

        try
        {
            return JsonSerializer.Deserialize<T>(body, Json) ?? throw new YouTubeApiException($"YouTube answered null to {Operation(relative)}.");
        }
        catch (JsonException error)
        {
            throw new YouTubeApiException($"YouTube answered malformed JSON to {Operation(relative)}: {error.Message}", error);
        }
    }

    private static Exception Failure(HttpStatusCode status, string body, string relative)
    {
        ErrorBody? error = null;
        try
        {
            error = JsonSerializer.Deserialize<ErrorResponse>(body, Json)?.Error;
        }
        catch (JsonException)
        {
        }

        var reason = error?.Errors?.FirstOrDefault()?.Reason ?? string.Empty;
        // Remote text: made storable where it is written (the engine's fail_job / reschedule_job in Queue/Engine/EngineSql.cs, the sync result).
        var message = $"YouTube {(int)status} {reason} on {Operation(relative)}: {error?.Message ?? Truncate(body)}";
        return reason switch
        {
            "quotaExceeded" or "rateLimitExceeded" or "userRateLimitExceeded" or "dailyLimitExceeded" => new YouTubeQuotaExceededException(reason, message),
            _ when status == HttpStatusCode.NotFound => new YouTubeNotFoundException(message),
            _ => new YouTubeApiException(message),
        };
    }

    private static string Operation(string relative) => relative[..relative.IndexOf('?')] + ".list";

    private static string Truncate(string body) => PostgresText.Truncate(body, 300, "…")!;
}
