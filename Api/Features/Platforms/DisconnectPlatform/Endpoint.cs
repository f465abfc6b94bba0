using FastEndpoints;
using Npgsql;
using Platform.Api.Auth;
using Platform.Api.Http;
using Platform.Core.Data;

namespace Platform.Api.Features.Platforms.DisconnectPlatform;

/// <summary>
/// <c>DELETE /api/me/platforms/{id}</c>: disconnects an account of mine (204; 404 for anyone else's, RLS). Imported
/// content stays (its <c>platform_account_id</c> becomes null); a sync still queued finds the account gone and stops.
/// </summary>
public sealed class Endpoint(NpgsqlDataSource dataSource) : Endpoint<Request>
{
    public override void Configure()
    {
        Delete("/api/me/platforms/{id}");
        Description(d => d.WithTags("Platforms").Produces(204).ProducesProblemDetails(404));
        Summary(s => s.Summary = "Disconnect a YouTube channel or feed of mine");
    }

    public override async Task HandleAsync(Request request, CancellationToken ct)
    {
        await using var scope = await UserScope.BeginAsync(dataSource, User.UserId()!.Value, ct);
        await using var delete = scope.CreateCommand("DELETE FROM platform_account WHERE id = @id");
        delete.Parameters.AddWithValue("id", request.Id);
        var deleted = await delete.ExecuteNonQueryAsync(ct);
        await scope.CommitAsync(ct);
        if (deleted == 0)
        {
            await Send.ResultAsync(Problems.NotFound($"No platform account {request.Id} of yours."));
            return;
        }

        await Send.NoContentAsync(ct);
    }
}
