using FastEndpoints;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;
using Npgsql;
using Platform.Api.Features.Platforms.Verification;
using Platform.Core.Data;
using Platform.Core.Ingestion;

namespace Platform.Api.Features.Platforms.YouTubeOAuth.Callback;

/// <summary>
/// <c>GET /api/platforms/youtube/callback?code&amp;state</c> (anonymous: the state identifies the user): uses up the
/// state (<see cref="OAuthStateStore"/>), exchanges the code with the PKCE verifier, lists the Google account's channels
/// (<c>mine=true</c>), connects each one the user has not connected yet (within the plan's account limit and connects per day) and marks each
/// verified (<see cref="OwnershipVerifier"/>). Always answers 302 to <c>YouTube__OAuth__ReturnUrl</c> with
/// <c>youtube_verification=verified&amp;channels=UC…[,UC…]</c> (and <c>not_verified=UC…:reason</c> for the others), or
/// <c>youtube_verification=error&amp;reason=</c> <c>invalid_state</c> (unknown, used or expired), <c>browser_mismatch</c>
/// (the browser lacks the cookie the authorize response set in the browser that started it, <see cref="OAuthBrowserCookie"/>;
/// the state is used up all the same), <c>access_denied</c>
/// (or Google's other error codes as <c>authorization_failed</c>), <c>token_exchange_failed</c>,
/// <c>channel_lookup_failed</c>, <c>no_channel</c>, <c>owned_elsewhere</c>, <c>plan_limit</c>, <c>daily_limit</c>, <c>not_configured</c> or
/// <c>server_error</c>. No detail from Google reaches the browser; no Google token is kept.
/// </summary>
public sealed class Endpoint(
    OAuthStateStore states,
    YouTubeChannelOwnership google,
    OwnershipVerifier verifier,
    NpgsqlDataSource dataSource,
    PlatformAccountConnector connector,
    IOptions<YouTubeOptions> options,
    ILogger<Endpoint> logger) : Endpoint<Request>
{
    public override void Configure()
    {
        Get(YouTubeOAuthRedirect.CallbackPath);
        AllowAnonymous();
        Options(x => x.RequireRateLimiting(Discovery.DiscoveryServiceExtensions.PublicRateLimitPolicy)); // anonymous: per client
        Description(d => d.WithTags("Platforms").Produces(302).ProducesProblemDetails(429));
        Summary(s => s.Summary = "Google's OAuth redirect: verifies the signed-in Google account's YouTube channels, then redirects");
    }

    public override async Task HandleAsync(Request request, CancellationToken ct)
    {
        HttpContext.Response.Headers.CacheControl = "no-store";
        Dictionary<string, string?> outcome;
        try
        {
            outcome = await VerifyAsync(request, ct);
        }
        catch (OAuthFailedException failed)
        {
            outcome = Error(failed.Reason);
        }
        catch (Exception error) when (!ct.IsCancellationRequested)
        {
            logger.LogError(error, "YouTube OAuth callback failed");
            outcome = Error("server_error");
        }

        await Send.RedirectAsync(QueryHelpers.AddQueryString(options.Value.OAuth.ReturnUrl, outcome), isPermanent: false, allowRemoteRedirects: true);
    }

    private async Task<Dictionary<string, string?>> VerifyAsync(Request request, CancellationToken ct)
    {
        if (!options.Value.OAuth.IsConfigured)
        {
            return Error("not_configured");
        }

        // The state is used up first, whatever else the request says: a replayed or tampered callback ends here, and so
        // does one that reached another browser than the one that asked for the authorization (its cookie is missing or
        // another flow's): a link to someone else's authorization cannot verify the clicker's channels for them.
        var pending = await states.TakeAsync(request.State, OAuthBrowserCookie.Take(HttpContext, request.State), ct);
        if (pending is null)
        {
            return Error("invalid_state");
        }

        if (!pending.SameBrowser)
        {
            logger.LogWarning("YouTube OAuth callback for user {UserId} came from another browser than the one that started it", pending.UserId);
            return Error("browser_mismatch");
        }

        if (!string.IsNullOrEmpty(request.Error) || string.IsNullOrEmpty(request.Code))
        {
            logger.LogInformation("YouTube OAuth: Google answered error {Error}", request.Error);
            return Error(request.Error == "access_denied" ? "access_denied" : "authorization_failed");
        }

        var channels = await google.OwnedChannelsAsync(request.Code, pending.CodeVerifier, YouTubeOAuthRedirect.CallbackUri(HttpContext), ct);
        if (channels.Count == 0)
        {
            return Error("no_channel");
        }

        var verified = new List<string>();
        var notVerified = new List<string>();
        foreach (var channel in channels)
        {
            var (accountId, refusal) = await FindOrConnectAsync(pending.UserId, channel, ct);
            if (accountId is null)
            {
                notVerified.Add($"{channel.Id}:{refusal}");
                continue;
            }

            try
            {
                if (await verifier.VerifyAsync(pending.UserId, accountId.Value, VerificationMethods.YouTubeOAuth, ct) is null)
                {
                    notVerified.Add($"{channel.Id}:server_error"); // the account went away while the verify waited
                    continue;
                }

                verified.Add(channel.Id);
            }
            catch (SourceOwnedElsewhereException)
            {
                notVerified.Add($"{channel.Id}:owned_elsewhere");
            }
        }

        if (verified.Count == 0)
        {
            return Error(notVerified[0][(notVerified[0].IndexOf(':') + 1)..]);
        }

        return new Dictionary<string, string?>
        {
            ["youtube_verification"] = "verified",
            ["channels"] = string.Join(',', verified),
            ["not_verified"] = notVerified.Count == 0 ? null : string.Join(',', notVerified),
        }.Where(p => p.Value is not null).ToDictionary();
    }

    /// <summary>
    /// The user's account of <paramref name="channel"/> (by channel id, or by the @handle it was connected with),
    /// connected now when missing, as <c>POST /api/me/platforms</c> does (<see cref="PlatformAccountConnector"/>): not
    /// when another user verified the channel (<c>owned_elsewhere</c>), at the plan's account limit (<c>plan_limit</c>)
    /// or past the plan's connects and disconnects per day (<c>daily_limit</c>; a connect here takes one).
    /// </summary>
    private async Task<(Guid? AccountId, string? Refusal)> FindOrConnectAsync(Guid userId, OwnedChannel channel, CancellationToken ct)
    {
        await using var scope = await UserScope.BeginAsync(dataSource, userId, ct);
        var outcome = await connector.ConnectAsync(
            scope, userId, new NewPlatformAccount("youtube", channel.Id, channel.Handle, $"https://www.youtube.com/channel/{channel.Id}", channel.Title), ct);
        switch (outcome.Refusal)
        {
            case null:
                await scope.CommitAsync(ct);
                return (outcome.AccountId, null);
            case ConnectRefusal.AlreadyConnected:
                return (outcome.AccountId, null);
            default:
                return (null, outcome.Refusal switch
                {
                    ConnectRefusal.OwnedElsewhere => "owned_elsewhere",
                    ConnectRefusal.PlanLimit => "plan_limit",
                    ConnectRefusal.DailyLimit => "daily_limit",
                    _ => "server_error",
                });
        }
    }

    private static Dictionary<string, string?> Error(string reason) =>
        new() { ["youtube_verification"] = "error", ["reason"] = reason };
}
