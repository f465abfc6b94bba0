using FastEndpoints;
using Npgsql;
using Platform.Api.Auth;
using Platform.Core.Data;

namespace Platform.Api.Features.Platforms.GetPlatform;

/// <summary><c>GET /api/me/platforms/{id}</c>: one of my connected accounts, with its verification; 404 for anyone else's (RLS).</summary>
public sealed class Endpoint(NpgsqlDataSource dataSource) : Endpoint<Request, PlatformAccountResponse>
{
    public override void Configure()
    {
        Get("/api/me/platforms/{id}");
        Description(d => d.WithTags("Platforms").Produces<PlatformAccountResponse>(200).ProducesProblemDetails(404));
        Summary(s => s.Summary = "One of my connected YouTube channels or feeds, with its ownership verification");
    }

    public override async Task HandleAsync(Request request, CancellationToken ct)
    {
        await using var scope = await UserScope.BeginAsync(dataSource, User.UserId()!.Value, ct);
        var account = (await PlatformAccountResponse.ReadAsync(scope, request.Id, ct)).SingleOrDefault();
        HttpContext.Response.Headers.CacheControl = "no-store";
        if (account is null)
        {
            await Send.ResultAsync(Http.Problems.NotFound($"No platform account {request.Id} of yours."));
            return;
        }

        await Send.OkAsync(account, ct);
    }
}
