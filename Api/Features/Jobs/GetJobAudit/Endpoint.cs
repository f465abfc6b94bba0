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
/// <c>GET /api/jobs/{id}/audit</c>: the job's audit trail from the event store (one stream per job), oldest first.
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

        var events = await audit.Events.FetchStreamAsync(request.Id, token: ct);
        var entries = events
            .Where(e => e.Data is JobAuditEvent)
            .Select(e =>
            {
                var data = (JobAuditEvent)e.Data;
                return new AuditEntry(
                    e.Version, AuditStore.EventNames[data.GetType()], data.At, data.Status, data.Attempt, data.WorkerId, data.Message,
                    (data as JobProgressed)?.Progress);
            })
            .ToList();
        HttpContext.Response.Headers.CacheControl = "no-store";
        await Send.OkAsync(new Response(request.Id, entries), ct);
    }
}
