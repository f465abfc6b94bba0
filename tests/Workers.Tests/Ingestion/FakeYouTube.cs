using System.Collections.Concurrent;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Platform.TestSupport;

namespace Platform.Workers.Tests.Ingestion;

/// <summary>A video as the fake YouTube holds it.</summary>
public sealed class FakeVideo
{
    public required string Id { get; init; }

    public string Title { get; set; } = "A video";

    public string Description { get; set; } = "What the video is about.";

    public string Duration { get; set; } = "PT4M13S";

    public string CategoryId { get; set; } = "28";

    public List<string> Tags { get; set; } = ["dotnet", "Postgres"];

    public DateTimeOffset PublishedAt { get; set; } = DateTimeOffset.Parse("2024-05-01T12:00:00Z");

    public long ViewCount { get; set; } = 1234;
}

/// <summary>
/// The YouTube Data API v3 on Kestrel (127.0.0.1, a free port), answering <c>channels.list</c> (id / forHandle),
/// <c>playlistItems.list</c> (50 per page, nextPageToken) and <c>videos.list</c> with the documented shapes, and the
/// documented error bodies (403 quotaExceeded, 404 playlistNotFound, 400 keyInvalid).
/// </summary>
public sealed class FakeYouTube : IAsyncDisposable
{
    public const string ApiKey = "test-api-key";

    private FakeHttpServer server = null!;
    private readonly ConcurrentDictionary<string, (string Handle, string Title)> channels = new();

    private FakeYouTube()
    {
    }

    /// <summary>The API base URL (…/youtube/v3).</summary>
    public string ApiBase { get; private set; } = string.Empty;

    /// <summary>Uploads playlists ("UU" + the channel id's tail), newest first as YouTube lists them.</summary>
    public ConcurrentDictionary<string, List<FakeVideo>> Playlists { get; } = new();

    /// <summary>Every request's path and query, in order.</summary>
    public ConcurrentQueue<string> Requests { get; } = new();

    public bool QuotaExhausted { get; set; }

    /// <summary>When set, videos.list answers with a body cut off mid-JSON.</summary>
    public bool MalformedVideos { get; set; }

    /// <summary>
    /// When set, playlistItems.list stops paging (no nextPageToken) after this many items while pageInfo.totalResults
    /// still counts them all, as YouTube does past about 20,000 uploads.
    /// </summary>
    public int? ListingLimit { get; set; }

    /// <summary>Video ids videos.list no longer returns (deleted or made private), though a playlist may still list them.</summary>
    public ConcurrentDictionary<string, bool> Gone { get; } = new();

    public static async Task<FakeYouTube> StartAsync()
    {
        var fake = new FakeYouTube();
        fake.server = await FakeHttpServer.StartAsync(app =>
        {
            app.MapGet("/youtube/v3/channels", fake.Channels);
            app.MapGet("/youtube/v3/playlistItems", fake.PlaylistItems);
            app.MapGet("/youtube/v3/videos", fake.Videos);
        });
        fake.ApiBase = fake.server.BaseUrl + "/youtube/v3";
        return fake;
    }

    /// <summary>A channel with <paramref name="videos"/> uploads (ids v0000…); returns its id.</summary>
    public string AddChannel(string handle, int videos, string? title = null)
    {
        var id = "UC" + Guid.NewGuid().ToString("N")[..22];
        channels[id] = (handle, title ?? $"Channel {handle}");
        Playlists[UploadsOf(id)] = Enumerable.Range(0, videos)
            .Select(i => new FakeVideo
            {
                Id = $"{id[2..10]}{i:D3}",
                Title = $"Video {i} of {handle}",
                PublishedAt = DateTimeOffset.Parse("2024-05-01T12:00:00Z").AddHours(-i),
            })
            .ToList();
        return id;
    }

    public static string UploadsOf(string channelId) => "UU" + channelId[2..];

    public int CountRequests(string path) => Requests.Count(r => r.StartsWith(path, StringComparison.Ordinal));

    public ValueTask DisposeAsync() => server.DisposeAsync();

    private IResult Channels(HttpRequest request)
    {
        if (Refuse(request) is { } refusal)
        {
            return refusal;
        }

        var id = request.Query["id"].ToString();
        var handle = request.Query["forHandle"].ToString().TrimStart('@');
        var found = channels.Where(c => c.Key == id || (handle.Length > 0 && string.Equals(c.Value.Handle.TrimStart('@'), handle, StringComparison.OrdinalIgnoreCase))).ToList();
        var response = new JsonObject
        {
            ["kind"] = "youtube#channelListResponse",
            ["etag"] = "Pt6IBHb9dV3NDBj7ddQn8cqB5nk",
            ["pageInfo"] = new JsonObject { ["totalResults"] = found.Count, ["resultsPerPage"] = 5 },
        };
        if (found.Count > 0)
        {
            // YouTube leaves "items" out entirely when nothing matched.
            response["items"] = new JsonArray(found.Select(c => (JsonNode)new JsonObject
            {
                ["kind"] = "youtube#channel",
                ["etag"] = "e" + c.Key,
                ["id"] = c.Key,
                ["snippet"] = new JsonObject
                {
                    ["title"] = c.Value.Title,
                    ["description"] = "",
                    ["customUrl"] = c.Value.Handle,
                    ["publishedAt"] = "2015-03-01T10:00:00Z",
                },
                ["contentDetails"] = new JsonObject
                {
                    ["relatedPlaylists"] = new JsonObject { ["likes"] = "", ["uploads"] = UploadsOf(c.Key) },
                },
            }).ToArray());
        }

        return Results.Json(response);
    }

    private IResult PlaylistItems(HttpRequest request)
    {
        if (Refuse(request) is { } refusal)
        {
            return refusal;
        }

        var playlistId = request.Query["playlistId"].ToString();
        if (!Playlists.TryGetValue(playlistId, out var videos))
        {
            return Error(404, "playlistNotFound", "youtube.playlistItem",
                "The playlist identified with the request's <code>playlistId</code> parameter cannot be found.");
        }

        var size = int.TryParse(request.Query["maxResults"], out var max) ? Math.Clamp(max, 0, 50) : 5;
        var token = request.Query["pageToken"].ToString();
        var offset = token.Length == 0 ? 0 : int.Parse(Encoding.UTF8.GetString(Convert.FromBase64String(token))["page:".Length..]);
        List<FakeVideo> snapshot;
        lock (videos)
        {
            snapshot = videos.ToList();
        }

        var page = snapshot.Skip(offset).Take(size).ToList();
        var response = new JsonObject
        {
            ["kind"] = "youtube#playlistItemListResponse",
            ["etag"] = $"p{offset}",
        };
        if (offset + size < Math.Min(snapshot.Count, ListingLimit ?? int.MaxValue))
        {
            response["nextPageToken"] = Convert.ToBase64String(Encoding.UTF8.GetBytes($"page:{offset + size}"));
        }

        response["items"] = new JsonArray(page.Select(v => (JsonNode)new JsonObject
        {
            ["kind"] = "youtube#playlistItem",
            ["etag"] = "i" + v.Id,
            ["id"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(playlistId + "." + v.Id)),
            ["contentDetails"] = new JsonObject
            {
                ["videoId"] = v.Id,
                ["videoPublishedAt"] = v.PublishedAt.ToString("yyyy-MM-ddTHH:mm:ssZ"),
            },
        }).ToArray());
        response["pageInfo"] = new JsonObject { ["totalResults"] = snapshot.Count, ["resultsPerPage"] = size };
        return Results.Json(response);
    }

    private IResult Videos(HttpRequest request)
    {
        if (Refuse(request) is { } refusal)
        {
            return refusal;
        }

        if (MalformedVideos)
        {
            return Results.Content("{\"kind\":\"youtube#videoListResponse\",\"items\":[{\"id\":\"abc\",\"snippet\":{\"title\":", "application/json");
        }

        var ids = request.Query["id"].ToString().Split(',', StringSplitOptions.RemoveEmptyEntries).ToHashSet();
        var found = Playlists.Values.SelectMany(p => { lock (p) { return p.ToList(); } }).Where(v => ids.Contains(v.Id) && !Gone.ContainsKey(v.Id)).ToList();
        var response = new JsonObject
        {
            ["kind"] = "youtube#videoListResponse",
            ["etag"] = "v",
            ["items"] = new JsonArray(found.Select(v => (JsonNode)new JsonObject
            {
                ["kind"] = "youtube#video",
                ["etag"] = "v" + v.Id,
                ["id"] = v.Id,
                ["snippet"] = new JsonObject
                {
                    ["publishedAt"] = v.PublishedAt.ToString("yyyy-MM-ddTHH:mm:ssZ"),
                    ["channelId"] = "UC" + v.Id,
                    ["title"] = v.Title,
                    ["description"] = v.Description,
                    ["thumbnails"] = new JsonObject
                    {
                        ["default"] = Thumb(v.Id, "default", 120, 90),
                        ["medium"] = Thumb(v.Id, "mqdefault", 320, 180),
                        ["high"] = Thumb(v.Id, "hqdefault", 480, 360),
                    },
                    ["channelTitle"] = "A channel",
                    ["tags"] = new JsonArray(v.Tags.Select(t => (JsonNode)JsonValue.Create(t)).ToArray()),
                    ["categoryId"] = v.CategoryId,
                    ["liveBroadcastContent"] = "none",
                },
                ["contentDetails"] = new JsonObject
                {
                    ["duration"] = v.Duration,
                    ["dimension"] = "2d",
                    ["definition"] = "hd",
                    ["caption"] = "false",
                    ["licensedContent"] = false,
                    ["projection"] = "rectangular",
                },
                ["statistics"] = new JsonObject
                {
                    ["viewCount"] = v.ViewCount.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    ["likeCount"] = "12",
                    ["favoriteCount"] = "0",
                    ["commentCount"] = "3",
                },
            }).ToArray()),
            ["pageInfo"] = new JsonObject { ["totalResults"] = found.Count, ["resultsPerPage"] = found.Count },
        };
        return Results.Json(response);
    }

    // Real thumbnails live on i.ytimg.com; these point back at the fake (which answers 404), so refresh_media
    // jobs the syncs enqueue finish at once instead of waiting on a network the tests do not have.
    private JsonObject Thumb(string id, string name, int width, int height) => new()
    {
        ["url"] = $"{ApiBase[..ApiBase.IndexOf("/youtube/v3", StringComparison.Ordinal)]}/vi/{id}/{name}.jpg",
        ["width"] = width,
        ["height"] = height,
    };

    private IResult? Refuse(HttpRequest request)
    {
        Requests.Enqueue(request.Path + request.QueryString);
        if (request.Query["key"] != ApiKey)
        {
            return Error(400, "keyInvalid", "usageLimits", "API key not valid. Please pass a valid API key.");
        }

        return QuotaExhausted
            ? Error(403, "quotaExceeded", "youtube.quota", "The request cannot be completed because you have exceeded your <a href=\"/youtube/v3/getting-started#quota\">quota</a>.")
            : null;
    }

    private static IResult Error(int code, string reason, string domain, string message) => Results.Json(
        new JsonObject
        {
            ["error"] = new JsonObject
            {
                ["code"] = code,
                ["message"] = message,
                ["errors"] = new JsonArray(new JsonObject { ["message"] = message, ["domain"] = domain, ["reason"] = reason }),
            },
        },
        statusCode: code);
}
