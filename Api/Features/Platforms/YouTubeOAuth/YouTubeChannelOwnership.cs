using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Options;
using Platform.Core.Ingestion;

namespace Platform.Api.Features.Platforms.YouTubeOAuth;

/// <summary>A channel the signed-in Google account owns (<c>channels.list?mine=true</c>): its id and <c>@handle</c>, if any.</summary>
public sealed record OwnedChannel(string Id, string? Title, string? Handle);

/// <summary>Google or YouTube refused or failed; <see cref="Reason"/> is the outcome code the browser is sent back with.</summary>
public sealed class OAuthFailedException(string reason, string detail) : Exception(detail)
{
    public string Reason { get; } = reason;
}

/// <summary>
/// The server side of the authorization code grant: exchanges the code at <see cref="YouTubeOAuthOptions.TokenEndpoint"/>
/// (RFC 6749 §4.1.3, with the PKCE <c>code_verifier</c>, RFC 7636 §4.5), then asks YouTube which channels the token's
/// account owns (<c>GET {ApiBase}channels?part=id,snippet&amp;mine=true</c> with the bearer token). The access token
/// lives only in this call: it is never stored.
/// </summary>
public sealed class YouTubeChannelOwnership(HttpClient http, IOptions<YouTubeOptions> options, ILogger<YouTubeChannelOwnership> logger)
{
    /// <exception cref="OAuthFailedException"><c>token_exchange_failed</c> or <c>channel_lookup_failed</c>.</exception>
    public async Task<IReadOnlyList<OwnedChannel>> OwnedChannelsAsync(string code, string codeVerifier, string redirectUri, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var accessToken = await ExchangeAsync(settings.OAuth, code, codeVerifier, redirectUri, cancellationToken);
        var apiBase = settings.ApiBase.AbsoluteUri.EndsWith('/') ? settings.ApiBase.AbsoluteUri : settings.ApiBase.AbsoluteUri + "/";
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(new Uri(apiBase), "channels?part=id,snippet&mine=true&maxResults=50"));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
        try
        {
            using var response = await http.SendAsync(request, cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                logger.LogWarning("YouTube channels.list?mine=true answered {Status}", (int)response.StatusCode);
                throw new OAuthFailedException("channel_lookup_failed", $"channels.list answered {(int)response.StatusCode}");
            }

            var list = await response.Content.ReadFromJsonAsync<ChannelList>(cancellationToken);
            return (list?.Items ?? [])
                .Where(c => !string.IsNullOrEmpty(c.Id))
                .Select(c => new OwnedChannel(c.Id!, c.Snippet?.Title, c.Snippet?.CustomUrl is { Length: > 0 } handle
                    ? handle.StartsWith('@') ? handle : "@" + handle
                    : null))
                .ToList();
        }
        catch (Exception error) when (error is HttpRequestException or JsonException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            logger.LogWarning(error, "YouTube channels.list?mine=true failed");
            throw new OAuthFailedException("channel_lookup_failed", "channels.list failed");
        }
    }

    private async Task<string> ExchangeAsync(YouTubeOAuthOptions oauth, string code, string codeVerifier, string redirectUri, CancellationToken cancellationToken)
    {
        using var form = new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "authorization_code",
            ["code"] = code,
            ["redirect_uri"] = redirectUri,
            ["client_id"] = oauth.ClientId!,
            ["client_secret"] = oauth.ClientSecret!,
            ["code_verifier"] = codeVerifier,
        });
        try
        {
            using var response = await http.PostAsync(oauth.TokenEndpoint, form, cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                // Google's error body (invalid_grant, ...) goes to the log, never to the browser.
                logger.LogWarning("The OAuth token endpoint answered {Status}: {Body}", (int)response.StatusCode,
                    Truncate(await response.Content.ReadAsStringAsync(cancellationToken)));
                throw new OAuthFailedException("token_exchange_failed", $"token endpoint answered {(int)response.StatusCode}");
            }

            var token = await response.Content.ReadFromJsonAsync<TokenResponse>(cancellationToken);
            return token?.AccessToken is { Length: > 0 } accessToken
                ? accessToken
                : throw new OAuthFailedException("token_exchange_failed", "no access_token in the token response");
        }
        catch (Exception error) when (error is HttpRequestException or JsonException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            logger.LogWarning(error, "The OAuth code exchange failed");
            throw new OAuthFailedException("token_exchange_failed", "token exchange failed");
        }
    }

    private static string Truncate(string text) => text.Length <= 500 ? text : text[..500];

    private sealed record TokenResponse([property: JsonPropertyName("access_token")] string? AccessToken);

    private sealed record ChannelList([property: JsonPropertyName("items")] List<Channel>? Items);

    private sealed record Channel([property: JsonPropertyName("id")] string? Id, [property: JsonPropertyName("snippet")] Snippet? Snippet);

    private sealed record Snippet(
        [property: JsonPropertyName("title")] string? Title,
        [property: JsonPropertyName("customUrl")] string? CustomUrl);
}
