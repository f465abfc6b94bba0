using FastEndpoints;
using Marten;
using Npgsql;
using Platform.Api.Auth;
using Platform.Api.Http;
using Platform.Core.Audit;
using Platform.Core.Data;
using Platform.Core.Jobs;

namespace Platform.Api.Features.Jobs.GetJobAudit;

/// <summary>
/// <c>GET /api/jobs/{id}/audit</c>: the job's audit trail from the event store (one stream per job), oldest first: one
/// entry per <c>job_log</c> row, numbered 1..n, whichever shape the stream's events have (<see cref="JobAuditTrail"/>).
/// Ownership is checked under RLS first. Events appear within a second or so of the change (they are projected).
/// </summary>
public sealed class Endpoint(NpgsqlDataSource dataSource, IQuerySession audit) : Endpoint<Request, Response>
{
    public override void Configure()
    {
        Get("/api/jobs/{id}/audit");
        Description(d => d.WithTags("Jobs").ProducesProblemDetails(404));
        Summary(s => s.Summary = "The audit trail of a job of mine");
    }

    public override async Task HandleAsync(Request request, CancellationToken ct)
    {
        await using (var scope = await UserScope.BeginAsync(dataSource, User.UserId()!.Value, ct))
        {
            if (await JobReader.FindAsync(scope, request.Id, ct) is null)
            {
                await Send.ResultAsync(Problems.NotFound($"No job {request.Id} of yours."));
                return;
            }
        }

        var entries = (await JobAuditTrail.ReadAsync(audit, request.Id, ct))
            .Select(e => new AuditEntry(e.Version, e.Event, e.At, e.Status, e.Attempt, e.WorkerId, e.Message, e.Progress))
            .ToList();
        HttpContext.Response.Headers.CacheControl = "no-store";
        await Send.OkAsync(new Response(request.Id, entries), ct);
    }
}
