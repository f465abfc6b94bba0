using FastEndpoints;
using Npgsql;
using NpgsqlTypes;
using Platform.Api.Auth;
using Platform.Api.Features.Platforms.Verification;
using Platform.Api.Http;
using Platform.Core.Data;
using Platform.Core.Ingestion;
using Platform.Core.Jobs;

namespace Platform.Api.Features.Platforms.ConnectPlatform;

/// <summary>
/// <c>POST /api/me/platforms</c>: connects a YouTube channel or an RSS/Atom feed and enqueues its first sync in the
/// same transaction. 201 with the account and <c>sync_job_id</c>; 409 when already connected or when another user has
/// verified the source; 403 at the plan's limit; 429 with <c>Retry-After</c> past the plan's connects and disconnects
/// per day (<see cref="PlatformChangeAllowance"/>).
/// </summary>
public sealed class Endpoint(NpgsqlDataSource dataSource, IPlatformAccountLimits limits, OwnershipVerifier ownership) : Endpoint<Request, PlatformAccountResponse>
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
        string externalId, jobType;
        string? handle = null, url;
        if (request.Platform == "youtube")
        {
            ChannelReference.TryParse(request.Channel, out var channel);
            externalId = channel!.ExternalId;
            handle = channel.Handle;
            url = channel.ChannelId is { } channelId ? $"https://www.youtube.com/channel/{channelId}" : $"https://www.youtube.com/@{Uri.EscapeDataString(channel.Handle![1..])}";
            jobType = JobTypes.SyncYouTube;
        }
        else
        {
            FeedAddress.TryNormalize(request.Url, out var feedUrl);
            externalId = url = feedUrl!;
            jobType = JobTypes.SyncFeed;
        }

        if (await ownership.VerifiedByAnotherUserAsync(userId, request.Platform, externalId, handle, ct))
        {
            await Send.ResultAsync(Problems.Conflict(
                $"This {request.Platform} account ({externalId}) is verified by another user: only its proven owner can connect it."));
            return;
        }

        var plan = await limits.ForUserAsync(userId, ct);
        await using var scope = await UserScope.BeginAsync(dataSource, userId, ct);

        // Concurrent connects of one user queue up here, so the count below cannot be raced past the limit.
        await using (var serialize = scope.CreateCommand("SELECT pg_advisory_xact_lock(hashtextextended('platform_account:' || @user, 0))"))
        {
            serialize.Parameters.AddWithValue("user", userId.ToString());
            await serialize.ExecuteNonQueryAsync(ct);
        }

        await using (var count = scope.CreateCommand("SELECT count(*) FROM platform_account"))
        {
            if ((long)(await count.ExecuteScalarAsync(ct))! >= plan.MaxAccounts)
            {
                await Send.ResultAsync(Problems.Forbidden(
                    $"Your plan allows {plan.MaxAccounts} connected accounts; disconnect one or upgrade to connect more."));
                return;
            }
        }

        if (await PlatformChangeAllowance.TakeAsync(scope, userId, HttpContext, ct) is { } tooMany)
        {
            await Send.ResultAsync(tooMany);
            return;
        }

        Guid accountId;
        await using (var insert = scope.CreateCommand(
            """
            INSERT INTO platform_account (user_id, platform, external_id, handle, url, sync_interval, next_sync_at)
            VALUES (@user, @platform, @external_id, @handle, @url, @interval, now() + @interval)
            ON CONFLICT (user_id, platform, external_id) DO NOTHING
            RETURNING id
            """))
        {
            insert.Parameters.AddWithValue("user", userId);
            insert.Parameters.AddWithValue("platform", request.Platform);
            insert.Parameters.AddWithValue("external_id", externalId);
            insert.Parameters.Add(new NpgsqlParameter("handle", NpgsqlDbType.Text) { Value = (object?)handle ?? DBNull.Value });
            insert.Parameters.AddWithValue("url", url);
            insert.Parameters.AddWithValue("interval", plan.SyncInterval);
            if (await insert.ExecuteScalarAsync(ct) is not Guid id)
            {
                await Send.ResultAsync(Problems.Conflict($"This {request.Platform} account ({externalId}) is already connected."));
                return;
            }

            accountId = id;
        }

        await FirstSync.EnqueueAsync(scope, userId, accountId, jobType, ct);

        var account = (await PlatformAccountResponse.ReadAsync(scope, accountId, ct)).Single();
        await scope.CommitAsync(ct);

        HttpContext.Response.Headers.Location = $"/api/me/platforms/{accountId}";
        await Send.ResponseAsync(account, StatusCodes.Status201Created, ct);
    }
}
