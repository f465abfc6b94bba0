using FastEndpoints;
using Npgsql;
using Platform.Api.Auth;
using Platform.Core.Data;

namespace Platform.Api.Features.Account.GetMe;

/// <summary><c>GET /api/me</c>: the signed-in user, their profile, plan and connected-account counts (RLS-scoped).</summary>
public sealed class Endpoint(NpgsqlDataSource dataSource) : EndpointWithoutRequest<MeResponse>
{
    public override void Configure()
    {
        Get("/api/me");
        Description(d => d.WithTags("Account"));
        Summary(s => s.Summary = "Me: profile, plan and connected-account counts");
    }

    public override async Task HandleAsync(CancellationToken ct)
    {
        var userId = User.UserId()!.Value;
        await using var scope = await UserScope.BeginAsync(dataSource, userId, ct);
        var me = await MeResponse.ReadAsync(scope, userId, User.IsAdmin(), ct);
        await scope.CommitAsync(ct);
        HttpContext.Response.Headers.CacheControl = "no-store";
        await Send.OkAsync(me, ct);
    }
}
