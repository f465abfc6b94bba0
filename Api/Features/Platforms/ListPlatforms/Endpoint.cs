using FastEndpoints;
using Npgsql;
using Platform.Api.Auth;
using Platform.Core.Data;

namespace Platform.Api.Features.Platforms.ListPlatforms;

/// <summary><c>GET /api/me/platforms</c>: my connected accounts, oldest first (a plan allows a handful, so no paging).</summary>
public sealed class Endpoint(NpgsqlDataSource dataSource) : EndpointWithoutRequest<Response>
{
    public override void Configure()
    {
        Get("/api/me/platforms");
        Description(d => d.WithTags("Platforms"));
        Summary(s => s.Summary = "My connected YouTube channels and feeds");
    }

    public override async Task HandleAsync(CancellationToken ct)
    {
        await using var scope = await UserScope.BeginAsync(dataSource, User.UserId()!.Value, ct);
        var accounts = await PlatformAccountResponse.ReadAsync(scope, id: null, ct);
        HttpContext.Response.Headers.CacheControl = "no-store";
        await Send.OkAsync(new Response(accounts), ct);
    }
}
