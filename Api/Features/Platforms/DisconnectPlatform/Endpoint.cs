using FastEndpoints;
using Npgsql;
using Platform.Api.Auth;
using Platform.Api.Caching;
using Platform.Api.Features.Discovery.Shared;
using Platform.Core.Data;
using Platform.Core.Discovery;

namespace Platform.Api.Features.Platforms.DisconnectPlatform;

/// <summary>
/// <c>DELETE /api/me/platforms/{id}[?content=keep|unpublish]</c>: disconnects an account of mine (204; 404 for anyone
/// else's, RLS). By default imported content stays published (its <c>platform_account_id</c> becomes null); with
/// <c>content=unpublish</c> it is unpublished in the same transaction (<c>unpublish_platform_content()</c>, migration
/// 014) and the public cache forgets it. A sync still queued finds the account gone and stops. Disconnects count with
/// connects against the plan's daily changes: past them, 429 with <c>Retry-After</c> (<see cref="PlatformChangeAllowance"/>).
/// </summary>
public sealed class Endpoint(NpgsqlDataSource dataSource, PublicCache cache) : Endpoint<Request>
{
    public override void Configure()
    {
        Delete("/api/me/platforms/{id}");
        Description(d => d.WithTags("Platforms").Produces(204).ProducesProblemDetails(400).ProducesProblemDetails(404).ProducesProblemDetails(429));
        Summary(s => s.Summary = "Disconnect a YouTube channel or feed of mine, keeping or unpublishing what it imported");
    }

    public override async Task HandleAsync(Request request, CancellationToken ct)
    {
        var userId = User.UserId()!.Value;
        await using var scope = await UserScope.BeginAsync(dataSource, userId, ct);
        if (await PlatformChangeAllowance.TakeAsync(scope, userId, HttpContext, ct) is { } tooMany)
        {
            await Send.ResultAsync(tooMany);
            return;
        }

        var unpublished = 0;
        if (request.Content == "unpublish")
        {
            await using var unpublish = scope.CreateCommand("SELECT unpublish_platform_content(@id)");
            unpublish.Parameters.AddWithValue("id", request.Id);
            unpublished = (int)(await unpublish.ExecuteScalarAsync(ct))!;
        }

        await using var delete = scope.CreateCommand("DELETE FROM platform_account WHERE id = @id");
        delete.Parameters.AddWithValue("id", request.Id);
        if (await delete.ExecuteNonQueryAsync(ct) == 0)
        {
            await Send.ResultAsync(Http.Problems.NotFound($"No platform account {request.Id} of yours."));
            return; // the scope rolls back
        }

        await scope.CommitAsync(ct);
        if (unpublished > 0)
        {
            await cache.InvalidateAsync(DiscoveryCacheTags.CreatorPage(User.UserId()!.Value), ct); // lists follow, debounced
        }

        await Send.NoContentAsync(ct);
    }
}
