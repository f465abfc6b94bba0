using FastEndpoints;
using Npgsql;
using Platform.Api.Auth;
using Platform.Api.Features.Platforms.Verification;
using Platform.Core.Data;

namespace Platform.Api.Features.Platforms.VerifyPlatform;

/// <summary>
/// <c>POST /api/me/platforms/{id}/verify</c>: proves ownership of a connected feed by the account's token
/// (<c>verification.token</c>) published in the feed's channel <c>&lt;description&gt;</c>/<c>&lt;subtitle&gt;</c> or in
/// <c>&lt;meta name="platform-verification" content="TOKEN"&gt;</c> on the feed's home page
/// (<see cref="FeedOwnershipCheck"/>). 200 with the verified account (its content becomes public, no re-sync needed);
/// 422 problem saying where it looked; 409 when another user verified the feed; 404 for anyone else's account; 400 for
/// a YouTube channel (verified by OAuth: <c>POST /api/me/platforms/youtube/authorize</c>).
/// </summary>
public sealed class Endpoint(NpgsqlDataSource dataSource, FeedOwnershipCheck check, OwnershipVerifier verifier)
    : Endpoint<Request, PlatformAccountResponse>
{
    public const string TokenNotFoundType = "https://platform.example/problems/verification-token-not-found";
    public const string FeedUnreadableType = "https://platform.example/problems/verification-feed-unreadable";
    public const string UseOAuthType = "https://platform.example/problems/verification-by-oauth";

    public override void Configure()
    {
        Post("/api/me/platforms/{id}/verify");
        Options(x => x.RequireRateLimiting(Http.RateLimits.OwnershipCheckPolicy)); // per user: a verify fetches the feed and its home page
        Description(d => d.WithTags("Platforms")
            .Produces<PlatformAccountResponse>(200)
            .ProducesProblemDetails(400)
            .ProducesProblemDetails(404)
            .ProducesProblemDetails(409)
            .ProducesProblemDetails(422)
            .ProducesProblemDetails(429));
        Summary(s => s.Summary = "Prove ownership of a connected feed by the token published in it or on its home page");
    }

    public override async Task HandleAsync(Request request, CancellationToken ct)
    {
        var userId = User.UserId()!.Value;
        PlatformAccountResponse? account;
        await using (var scope = await UserScope.BeginAsync(dataSource, userId, ct))
        {
            account = (await PlatformAccountResponse.ReadAsync(scope, request.Id, ct)).SingleOrDefault();
        }

        if (account is null)
        {
            await Send.ResultAsync(Http.Problems.NotFound($"No platform account {request.Id} of yours."));
            return;
        }

        if (account.Platform != "feed")
        {
            await Send.ResultAsync(TypedResults.Problem(
                title: "Verified by OAuth",
                detail: "A YouTube channel is verified by signing in with Google: POST /api/me/platforms/youtube/authorize and open the authorization_url it returns.",
                statusCode: StatusCodes.Status400BadRequest,
                type: UseOAuthType));
            return;
        }

        if (account.Verification.Status == "verified")
        {
            await Send.OkAsync(account, ct);
            return;
        }

        FeedOwnershipResult result;
        try
        {
            result = await check.CheckAsync(new Uri(account.ExternalId), account.Verification.Token, ct);
        }
        catch (FeedUnreadableException unreadable)
        {
            await Send.ResultAsync(TypedResults.Problem(
                title: "Feed not readable", detail: unreadable.Message, statusCode: StatusCodes.Status422UnprocessableEntity, type: FeedUnreadableType));
            return;
        }

        if (result.Method is null)
        {
            await Send.ResultAsync(TypedResults.Problem(
                title: "Verification token not found",
                detail: $"The token {account.Verification.Token} was not found. Looked in: {string.Join("; ", result.LookedAt)}. " +
                        "Publish it in the feed's description (RSS) or subtitle (Atom), or in <meta name=\"platform-verification\" content=\"TOKEN\"> on the home page, then try again.",
                statusCode: StatusCodes.Status422UnprocessableEntity,
                type: TokenNotFoundType,
                extensions: new Dictionary<string, object?> { ["looked_at"] = result.LookedAt }));
            return;
        }

        try
        {
            if (await verifier.VerifyAsync(userId, account.Id, result.Method, ct) is not { } verified)
            {
                await Send.ResultAsync(Http.Problems.NotFound($"No platform account {request.Id} of yours."));
                return;
            }

            await Send.OkAsync(verified, ct);
        }
        catch (SourceOwnedElsewhereException owned)
        {
            await Send.ResultAsync(Http.Problems.Conflict(owned.Message));
        }
    }
}
