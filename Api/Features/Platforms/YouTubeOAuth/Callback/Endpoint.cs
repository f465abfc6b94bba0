using FastEndpoints;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;
using Platform.Api.Features.Platforms.Verification;
using Platform.Core.Billing;
using Platform.Core.Data;
using Platform.Core.Ingestion;
using Platform.Core.Jobs;

namespace Platform.Api.Features.Platforms.YouTubeOAuth.Callback;

/// <summary>
/// <c>GET /api/platforms/youtube/callback?code&amp;state</c> (anonymous: the state identifies the user): uses up the
/// state (<see cref="OAuthStateStore"/>), exchanges the code with the PKCE verifier, lists the Google account's channels
/// (<c>mine=true</c>), connects each one the user has not connected yet (within the plan's account limit and connects per day) and marks each
/// verified (<see cref="OwnershipVerifier"/>). Always answers 302 to <c>YouTube__OAuth__ReturnUrl</c> with
/// <c>youtube_verification=verified&amp;channels=UC…[,UC…]</c> (and <c>not_verified=UC…:reason</c> for the others), or
/// <c>youtube_verification=error&amp;reason=</c> <c>invalid_state</c> (unknown, used or expired), <c>access_denied</c>
/// (or Google's other error codes as <c>authorization_failed</c>), <c>token_exchange_failed</c>,
/// <c>channel_lookup_failed</c>, <c>no_channel</c>, <c>owned_elsewhere</c>, <c>plan_limit</c>, <c>daily_limit</c>, <c>not_configured</c> or
/// <c>server_error</c>. No detail from Google reaches the browser; no Google token is kept.
/// </summary>
public sealed class Endpoint(
    OAuthStateStore states,
    YouTubeChannelOwnership google,
    OwnershipVerifier verifier,
    NpgsqlDataSource dataSource,
    IPlatformAccountLimits limits,
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

        // The state is used up first, whatever else the request says: a replayed or tampered callback ends here.
        var pending = await states.TakeAsync(request.State, ct);
        if (pending is null)
        {
            return Error("invalid_state");
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
    /// connected now when missing, as <c>POST /api/me/platforms</c> would: not when another user verified the channel
    /// (<c>owned_elsewhere</c>), at the plan's account limit (<c>plan_limit</c>) or past the plan's connects and
    /// disconnects per day (<c>daily_limit</c>, <see cref="PlatformChangeAllowance"/>; a connect here takes one).
    /// </summary>
    private async Task<(Guid? AccountId, string? Refusal)> FindOrConnectAsync(Guid userId, OwnedChannel channel, CancellationToken ct)
    {
        var plan = await limits.ForUserAsync(userId, ct);
        await using var scope = await UserScope.BeginAsync(dataSource, userId, ct);
        await using (var serialize = scope.CreateCommand("SELECT pg_advisory_xact_lock(hashtextextended('platform_account:' || @user, 0))"))
        {
            serialize.Parameters.AddWithValue("user", userId.ToString());
            await serialize.ExecuteNonQueryAsync(ct);
        }

        await using (var find = scope.CreateCommand(
            """
            SELECT id FROM platform_account
            WHERE platform = 'youtube'
              AND (external_id = @channel OR (@handle::text IS NOT NULL AND (lower(external_id) = lower(@handle) OR lower(handle) = lower(@handle))))
            ORDER BY (external_id = @channel) DESC
            LIMIT 1
            """))
        {
            find.Parameters.AddWithValue("channel", channel.Id);
            find.Parameters.Add(new NpgsqlParameter("handle", NpgsqlDbType.Text) { Value = (object?)channel.Handle ?? DBNull.Value });
            if (await find.ExecuteScalarAsync(ct) is Guid existing)
            {
                return (existing, null);
            }
        }

        // Connecting would only leave an account that can never be verified behind.
        if (await verifier.VerifiedByAnotherUserAsync(userId, "youtube", channel.Id, channel.Handle, ct))
        {
            return (null, "owned_elsewhere");
        }

        await using (var count = scope.CreateCommand("SELECT count(*) FROM platform_account"))
        {
            if ((long)(await count.ExecuteScalarAsync(ct))! >= plan.MaxAccounts)
            {
                return (null, "plan_limit");
            }
        }

        var allowance = await TierEntitlements.TakeDailyAsync(scope.Connection, scope.Transaction, userId, DailyAllowance.PlatformChanges, 1, ct);
        if (!allowance.Allowed)
        {
            return (null, "daily_limit");
        }

        Guid accountId;
        await using (var insert = scope.CreateCommand(
            """
            INSERT INTO platform_account (user_id, platform, external_id, handle, url, title, sync_interval, next_sync_at)
            VALUES (@user, 'youtube', @channel, @handle, @url, @title, @interval, now() + @interval)
            RETURNING id
            """))
        {
            insert.Parameters.AddWithValue("user", userId);
            insert.Parameters.AddWithValue("channel", channel.Id);
            insert.Parameters.Add(new NpgsqlParameter("handle", NpgsqlDbType.Text) { Value = (object?)channel.Handle ?? DBNull.Value });
            insert.Parameters.AddWithValue("url", $"https://www.youtube.com/channel/{channel.Id}");
            insert.Parameters.Add(new NpgsqlParameter("title", NpgsqlDbType.Text) { Value = (object?)PostgresText.Truncate(PostgresText.Clean(channel.Title), 500) ?? DBNull.Value });
            insert.Parameters.AddWithValue("interval", plan.SyncInterval);
            accountId = (Guid)(await insert.ExecuteScalarAsync(ct))!;
        }

        await FirstSync.EnqueueAsync(scope, userId, accountId, JobTypes.SyncYouTube, ct);

        await scope.CommitAsync(ct);
        return (accountId, null);
    }

    private static Dictionary<string, string?> Error(string reason) =>
        new() { ["youtube_verification"] = "error", ["reason"] = reason };
}
