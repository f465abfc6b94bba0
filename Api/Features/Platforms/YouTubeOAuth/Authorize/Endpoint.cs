using FastEndpoints;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;
using Platform.Api.Auth;
using Platform.Core.Ingestion;

namespace Platform.Api.Features.Platforms.YouTubeOAuth.Authorize;

/// <summary>Where to send the browser to prove YouTube channel ownership.</summary>
/// <param name="AuthorizationUrl">Google's consent page with <c>state</c> (single use, 10 minutes) and the PKCE S256 <c>code_challenge</c>.</param>
public sealed record Response(string AuthorizationUrl);

/// <summary>
/// <c>POST /api/me/platforms/youtube/authorize</c>: starts the OAuth 2.0 authorization code flow with PKCE S256 (scope
/// <c>youtube.readonly</c>); the browser opens <c>authorization_url</c>, Google sends it back to
/// <c>GET /api/platforms/youtube/callback</c>, which marks every channel of the Google account verified for the caller.
/// The response also sets an HttpOnly cookie that binds the authorization to this browser (<see cref="OAuthBrowserCookie"/>):
/// the callback completes only in the browser that called this endpoint (a browser client calls it with credentials).
/// 503 problem (type <see cref="NotConfiguredType"/>) when <c>YouTube__OAuth__ClientId</c>/<c>ClientSecret</c> are not set.
/// </summary>
public sealed class Endpoint(OAuthStateStore states, IOptions<YouTubeOptions> options) : EndpointWithoutRequest<Response>
{
    public const string NotConfiguredType = "https://platform.example/problems/youtube-oauth-not-configured";

    public override void Configure()
    {
        Post("/api/me/platforms/youtube/authorize");
        Options(x => x.RequireRateLimiting(Http.RateLimits.OwnershipCheckPolicy)); // per user, shared with verify
        Description(d => d.WithTags("Platforms").Produces<Response>(200).ProducesProblemDetails(429).ProducesProblemDetails(503));
        Summary(s => s.Summary = "Start proving ownership of my YouTube channels by signing in with Google (OAuth 2.0 + PKCE)");
    }

    public override async Task HandleAsync(CancellationToken ct)
    {
        var oauth = options.Value.OAuth;
        HttpContext.Response.Headers.CacheControl = "no-store";
        if (!oauth.IsConfigured)
        {
            await Send.ResultAsync(TypedResults.Problem(
                title: "YouTube verification is not configured",
                detail: "This server has no Google OAuth client (YouTube__OAuth__ClientId and YouTube__OAuth__ClientSecret); YouTube channels cannot be verified here.",
                statusCode: StatusCodes.Status503ServiceUnavailable,
                type: NotConfiguredType));
            return;
        }

        var (state, _, challenge, browserBinding) = await states.BeginAsync(User.UserId()!.Value, oauth.StateLifetime, ct);
        OAuthBrowserCookie.Set(HttpContext, state, browserBinding, oauth.StateLifetime);
        var url = QueryHelpers.AddQueryString(oauth.AuthorizationEndpoint.AbsoluteUri, new Dictionary<string, string?>
        {
            ["response_type"] = "code",
            ["client_id"] = oauth.ClientId,
            ["redirect_uri"] = YouTubeOAuthRedirect.CallbackUri(HttpContext),
            ["scope"] = YouTubeOAuthOptions.Scope,
            ["state"] = state,
            ["code_challenge"] = challenge,
            ["code_challenge_method"] = "S256",
            ["access_type"] = "online",
            // Always Google's account chooser and consent screen: the state names the user who asked for this URL, so a
            // link opened by someone else must never complete silently on a grant they gave this app before.
            ["prompt"] = "select_account consent",
        });
        await Send.OkAsync(new Response(url), ct);
    }
}
