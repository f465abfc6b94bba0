using FastEndpoints;
using Npgsql;
using Platform.Api.Auth;
using Platform.Api.Http;
using Platform.Core.Data;
using Platform.Core.Ingestion;

namespace Platform.Api.Features.Platforms.ConnectPlatform;

/// <summary>
/// <c>POST /api/me/platforms</c>: connects a YouTube channel or an RSS/Atom feed and enqueues its first sync in the
/// same transaction (<see cref="PlatformAccountConnector"/>). 201 with the account and <c>sync_job_id</c>; 409 when
/// already connected (a feed under any spelling, a channel by id or handle) or when another user has verified the
/// source; 403 at the plan's limit; 429 with <c>Retry-After</c> past the plan's connects and disconnects per day
/// (<see cref="PlatformChangeAllowance"/>).
/// </summary>
public sealed class Endpoint(NpgsqlDataSource dataSource, PlatformAccountConnector connector) : Endpoint<Request, PlatformAccountResponse>
{
    public override void Configure()
    {
        Post("/api/me/platforms");
        Description(d => d.WithTags("Platforms")
            .Produces<PlatformAccountResponse>(201)
            .ProducesProblemDetails(400)
            .ProducesProblemDetails(403)
            .ProducesProblemDetails(409)
            .ProducesProblemDetails(429));
        Summary(s => s.Summary = "Connect a YouTube channel or a feed");
    }

    public override async Task HandleAsync(Request request, CancellationToken ct)
    {
        var userId = User.UserId()!.Value;
        NewPlatformAccount account;
        if (request.Platform == "youtube")
        {
            ChannelReference.TryParse(request.Channel, out var channel);
            var url = channel!.ChannelId is { } channelId ? $"https://www.youtube.com/channel/{channelId}" : $"https://www.youtube.com/@{Uri.EscapeDataString(channel.Handle![1..])}";
            account = new NewPlatformAccount("youtube", channel.ExternalId, channel.Handle, url);
        }
        else
        {
            FeedAddress.TryNormalize(request.Url, out var feedUrl);
            account = new NewPlatformAccount("feed", feedUrl!, null, feedUrl!);
        }

        await using var scope = await UserScope.BeginAsync(dataSource, userId, ct);
        var outcome = await connector.ConnectAsync(scope, userId, account, ct);
        switch (outcome.Refusal)
        {
            case ConnectRefusal.AlreadyConnected or ConnectRefusal.OwnedElsewhere:
                await Send.ResultAsync(Problems.Conflict(outcome.Detail));
                return;
            case ConnectRefusal.PlanLimit:
                await Send.ResultAsync(Problems.Forbidden(outcome.Detail));
                return;
            case ConnectRefusal.DailyLimit:
                await Send.ResultAsync(PlatformChangeAllowance.TooMany(outcome.Daily!, HttpContext));
                return;
        }

        var accountId = outcome.AccountId!.Value;
        var response = (await PlatformAccountResponse.ReadAsync(scope, accountId, ct)).Single();
        await scope.CommitAsync(ct);

        HttpContext.Response.Headers.Location = $"/api/me/platforms/{accountId}";
        await Send.ResponseAsync(response, StatusCodes.Status201Created, ct);
    }
}
