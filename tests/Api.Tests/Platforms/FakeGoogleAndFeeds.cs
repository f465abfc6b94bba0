using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Platform.TestSupport;

namespace Platform.Api.Tests.Platforms;

/// <summary>A channel the fake YouTube lists for <c>mine=true</c>.</summary>
public sealed record FakeChannel(string Id, string Title, string? CustomUrl = null);

/// <summary>
/// The outside world of ownership verification on one Kestrel server (127.0.0.1, a free port): feeds and web pages
/// (<see cref="Documents"/>), Google's OAuth token endpoint (<c>POST /token</c>: checks client credentials, the
/// redirect URI and the PKCE S256 verifier against the challenge the authorization request carried; a code works once),
/// and YouTube's <c>GET /youtube/v3/channels?part=id,snippet&amp;mine=true</c>, which answers only the bearer token the
/// code was exchanged for.
/// </summary>
public sealed class FakeGoogleAndFeeds : IAsyncDisposable
{
    public const string ClientId = "test-client.apps.googleusercontent.com";
    public const string ClientSecret = "test-client-secret";

    private FakeHttpServer server = null!;

    private FakeGoogleAndFeeds()
    {
    }

    public string BaseUrl { get; private set; } = string.Empty;

    /// <summary>Path → (content type, body).</summary>
    public ConcurrentDictionary<string, (string ContentType, string Body)> Documents { get; } = new();

    /// <summary>Authorization codes Google issued after consent: code → (the S256 challenge, the channels of the account).</summary>
    private ConcurrentDictionary<string, (string Challenge, FakeChannel[] Channels)> Codes { get; } = new();

    private ConcurrentDictionary<string, FakeChannel[]> AccessTokens { get; } = new();

    /// <summary>Every token request's form, and every channels.list Authorization header.</summary>
    public ConcurrentQueue<IReadOnlyDictionary<string, string>> TokenRequests { get; } = new();

    public ConcurrentQueue<string?> ChannelRequests { get; } = new();

    public string TokenEndpoint => BaseUrl + "/token";

    public string AuthorizationEndpoint => BaseUrl + "/o/oauth2/v2/auth";

    public string YouTubeApiBase => BaseUrl + "/youtube/v3/";

    public string Url(string path) => BaseUrl + path;

    /// <summary>What Google does when the user consents: a code bound to the authorization request's challenge.</summary>
    public string Consent(string codeChallenge, params FakeChannel[] channels)
    {
        var code = "code-" + Guid.NewGuid().ToString("N");
        Codes[code] = (codeChallenge, channels);
        return code;
    }

    public static async Task<FakeGoogleAndFeeds> StartAsync()
    {
        var fake = new FakeGoogleAndFeeds();
        fake.server = await FakeHttpServer.StartAsync(app => app.Run(fake.ServeAsync));
        fake.BaseUrl = fake.server.BaseUrl;
        return fake;
    }

    private async Task ServeAsync(HttpContext context)
    {
        var path = context.Request.Path.Value ?? "/";
        if (path == "/token" && HttpMethods.IsPost(context.Request.Method))
        {
            await TokenAsync(context);
            return;
        }

        if (path == "/youtube/v3/channels")
        {
            await ChannelsAsync(context);
            return;
        }

        if (Documents.TryGetValue(path, out var document))
        {
            context.Response.ContentType = document.ContentType;
            await context.Response.WriteAsync(document.Body);
            return;
        }

        context.Response.StatusCode = 404;
    }

    private async Task TokenAsync(HttpContext context)
    {
        var form = (await context.Request.ReadFormAsync()).ToDictionary(f => f.Key, f => f.Value.ToString());
        TokenRequests.Enqueue(form);
        string Get(string key) => form.TryGetValue(key, out var value) ? value : string.Empty;

        if (Get("grant_type") != "authorization_code" || Get("client_id") != ClientId || Get("client_secret") != ClientSecret
            || !Get("redirect_uri").EndsWith("/api/platforms/youtube/callback", StringComparison.Ordinal)
            || !Codes.TryRemove(Get("code"), out var grant))
        {
            await InvalidGrantAsync(context, "unknown or used code, or bad client");
            return;
        }

        var challenge = Convert.ToBase64String(SHA256.HashData(Encoding.ASCII.GetBytes(Get("code_verifier"))))
            .TrimEnd('=').Replace('+', '-').Replace('/', '_');
        if (challenge != grant.Challenge)
        {
            await InvalidGrantAsync(context, "code_verifier does not match the code_challenge");
            return;
        }

        var accessToken = "ya29." + Guid.NewGuid().ToString("N");
        AccessTokens[accessToken] = grant.Channels;
        await context.Response.WriteAsJsonAsync(new Dictionary<string, object>
        {
            ["access_token"] = accessToken,
            ["expires_in"] = 3599,
            ["scope"] = "https://www.googleapis.com/auth/youtube.readonly",
            ["token_type"] = "Bearer",
        });
    }

    private static async Task InvalidGrantAsync(HttpContext context, string description)
    {
        context.Response.StatusCode = 400;
        await context.Response.WriteAsJsonAsync(new Dictionary<string, string> { ["error"] = "invalid_grant", ["error_description"] = description });
    }

    private async Task ChannelsAsync(HttpContext context)
    {
        var authorization = context.Request.Headers.Authorization.ToString();
        ChannelRequests.Enqueue(authorization);
        if (context.Request.Query["mine"] != "true" || context.Request.Query["part"] != "id,snippet"
            || !authorization.StartsWith("Bearer ", StringComparison.Ordinal)
            || !AccessTokens.TryGetValue(authorization["Bearer ".Length..], out var channels))
        {
            context.Response.StatusCode = 401;
            await context.Response.WriteAsJsonAsync(new { error = new { code = 401, message = "Request had invalid authentication credentials." } });
            return;
        }

        await context.Response.WriteAsJsonAsync(new
        {
            kind = "youtube#channelListResponse",
            items = channels.Select(c => new { kind = "youtube#channel", id = c.Id, snippet = new { title = c.Title, customUrl = c.CustomUrl } }),
        });
    }

    public ValueTask DisposeAsync() => server.DisposeAsync();
}
