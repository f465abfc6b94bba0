using FastEndpoints;
using Npgsql;
using Platform.Api.Auth;
using Platform.Api.Http;
using Platform.Core.Data;
using Platform.Core.Jobs;

namespace Platform.Api.Features.Jobs.GetJob;

/// <summary><c>GET /api/jobs/{id}</c>: status, progress, attempts, result or error. Only the owner sees it (RLS).</summary>
public sealed class Endpoint(NpgsqlDataSource dataSource) : Endpoint<Request, JobResponse>
{
    public override void Configure()
    {
        Get("/api/jobs/{id}");
        Description(d => d.WithTags("Jobs").ProducesProblemDetails(404));
        Summary(s => s.Summary = "A job of mine");
    }

    public override async Task HandleAsync(Request request, CancellationToken ct)
    {
        await using var scope = await UserScope.BeginAsync(dataSource, User.UserId()!.Value, ct);
        var job = await JobReader.FindAsync(scope, request.Id, ct);
        if (job is null)
        {
            await Send.ResultAsync(Problems.NotFound($"No job {request.Id} of yours."));
            return;
        }

        HttpContext.Response.Headers.CacheControl = "no-store";
        await Send.OkAsync(JobResponse.From(job), ct);
    }
}
