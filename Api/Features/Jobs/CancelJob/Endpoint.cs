using FastEndpoints;
using Npgsql;
using Platform.Api.Auth;
using Platform.Api.Http;
using Platform.Core.Data;
using Platform.Core.Jobs;

namespace Platform.Api.Features.Jobs.CancelJob;

/// <summary>
/// <c>POST /api/jobs/{id}/cancel</c>: a pending job is cancelled at once; a running one is asked to stop (its
/// handler's token fires within a second) and the response says <c>cancel_requested</c>. 409 when already finished.
/// </summary>
public sealed class Endpoint(NpgsqlDataSource dataSource) : Endpoint<Request, JobResponse>
{
    public override void Configure()
    {
        Post("/api/jobs/{id}/cancel");
        Description(d => d.WithTags("Jobs").Produces<JobResponse>(202).ProducesProblemDetails(404).ProducesProblemDetails(409));
        Summary(s => s.Summary = "Cancel a job of mine");
    }

    public override async Task HandleAsync(Request request, CancellationToken ct)
    {
        var userId = User.UserId()!.Value;
        await using var scope = await UserScope.BeginAsync(dataSource, userId, ct);
        var before = await JobReader.FindAsync(scope, request.Id, ct);
        if (before is null)
        {
            await Send.ResultAsync(Problems.NotFound($"No job {request.Id} of yours."));
            return;
        }

        if (JobStatus.IsTerminal(before.Status))
        {
            await Send.ResultAsync(Problems.Conflict($"Job {request.Id} is already {before.Status}."));
            return;
        }

        await using var cancel = scope.CreateCommand("SELECT cancel_job(@id, @user)");
        cancel.Parameters.AddWithValue("id", request.Id);
        cancel.Parameters.AddWithValue("user", userId);
        var outcome = await cancel.ExecuteScalarAsync(ct) as string;
        var job = await JobReader.FindAsync(scope, request.Id, ct) ?? before;
        await scope.CommitAsync(ct);

        if (outcome is not ("cancelled" or "cancel_requested"))
        {
            // It finished between our read and the cancel.
            await Send.ResultAsync(Problems.Conflict($"Job {request.Id} is already {job.Status}."));
            return;
        }

        await Send.ResponseAsync(JobResponse.From(job), StatusCodes.Status202Accepted, ct);
    }
}
