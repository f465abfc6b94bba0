using System.Text.Json;
using FastEndpoints;
using Npgsql;
using Platform.Api.Auth;
using Platform.Core.Data;
using Platform.Core.Jobs;

namespace Platform.Api.Features.Jobs.CreateJob;

/// <summary>
/// <c>POST /api/jobs</c>: enqueue a job for the caller. 202 + Location with the job; 200 with the result when the
/// job type caches and an identical payload already ran; the same idempotency key returns the first job again.
/// <c>payload</c> must bind to the job type's args record (<see cref="JobTypes.CheckPayload"/>: the same types and
/// validators the Workers bind it with); a payload that does not is a 400 naming each field (<c>payload.delay_ms</c>).
/// </summary>
public sealed class Endpoint(NpgsqlDataSource dataSource, IHostEnvironment environment) : Endpoint<Request, JobResponse>
{
    public override void Configure()
    {
        Post("/api/jobs");
        Description(d => d.WithTags("Jobs").Produces<JobResponse>(202).Produces<JobResponse>(200).ProducesProblemDetails(400));
        Summary(s => s.Summary = "Enqueue a background job");
    }

    public override async Task HandleAsync(Request request, CancellationToken ct)
    {
        var userId = User.UserId()!.Value;
        if (!JobTypes.TryGet(request.Type, out var definition))
        {
            ThrowError(r => r.Type, $"Unknown job type '{request.Type}'. Known: {string.Join(", ", JobTypes.All.Where(t => t.Access != JobAccess.System).Select(t => t.Name).Order())}.");
        }

        var allowed = definition.Access switch
        {
            JobAccess.User => true,
            JobAccess.AdminOrDevelopment => User.IsAdmin() || environment.IsDevelopment(),
            _ => false,
        };
        if (!allowed)
        {
            ThrowError(r => r.Type, $"Job type '{request.Type}' cannot be enqueued by you.", StatusCodes.Status403Forbidden);
        }

        var payload = request.Payload ?? JsonSerializer.SerializeToElement(new { });
        foreach (var (field, message) in JobTypes.CheckPayload(definition.Name, payload))
        {
            ValidationFailures.Add(new FluentValidation.Results.ValidationFailure(field, message));
        }

        ThrowIfAnyErrors();

        await using var scope = await UserScope.BeginAsync(dataSource, userId, ct);
        var result = await JobQueueClient.EnqueueAsync(scope.Connection, scope.Transaction, new EnqueueRequest(definition.Name, payload)
        {
            UserId = userId,
            IdempotencyKey = request.IdempotencyKey,
            Priority = request.Priority ?? 0,
            RunAt = request.RunAt,
        }, ct);
        var job = await JobReader.FindAsync(scope, result.JobId, ct)
            ?? throw new InvalidOperationException($"Job {result.JobId} vanished after enqueue");
        await scope.CommitAsync(ct);

        if (!result.Created)
        {
            HttpContext.Response.Headers["Idempotent-Replayed"] = "true";
        }

        if (result.FromCache)
        {
            await Send.OkAsync(JobResponse.From(job), ct);
            return;
        }

        HttpContext.Response.Headers.Location = $"/api/jobs/{job.Id}";
        await Send.ResponseAsync(JobResponse.From(job), StatusCodes.Status202Accepted, ct);
    }
}
