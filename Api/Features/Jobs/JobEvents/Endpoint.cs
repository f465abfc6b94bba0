using System.Text;
using System.Text.Json;
using FastEndpoints;
using Platform.Api.Auth;
using Platform.Api.Features.Jobs.Streaming;
using Platform.Api.Http;

namespace Platform.Api.Features.Jobs.JobEvents;

/// <summary>
/// <c>GET /api/jobs/{id}/events</c>: Server-Sent Events of my job: <c>snapshot</c>, <c>progress</c>…, then
/// <c>completed</c> | <c>failed</c> | <c>cancelled</c> (with the result or error), after which the stream ends.
/// Browsers' EventSource may pass the token as <c>?access_token=</c>. Capped per user and per process
/// (<see cref="JobStreamLimits"/>: 429 problem); the stream ends when the token expires.
/// </summary>
public sealed class Endpoint(JobEventStream stream, JobStreamLimits limits) : Endpoint<Request>
{
    public override void Configure()
    {
        Get("/api/jobs/{id}/events");
        Description(d => d.WithTags("Jobs").Produces(200, contentType: "text/event-stream").ProducesProblemDetails(404).ProducesProblemDetails(429));
        Summary(s => s.Summary = "Live progress of a job of mine (Server-Sent Events)");
    }

    public override async Task HandleAsync(Request request, CancellationToken ct)
    {
        var userId = User.UserId()!.Value;
        using var slot = limits.TryOpen(userId);
        if (slot is null)
        {
            await Send.ResultAsync(JobStreamLimits.TooMany(HttpContext));
            return;
        }

        using var untilExpiry = CancellationTokenSource.CreateLinkedTokenSource(ct);
        if (limits.Remaining(User) is { } remaining)
        {
            untilExpiry.CancelAfter(remaining);
        }

        using var subscription = stream.Subscribe(request.Id);
        var job = await stream.FindAsync(userId, request.Id, ct);
        if (job is null)
        {
            await Send.ResultAsync(Problems.NotFound($"No job {request.Id} of yours."));
            return;
        }

        var response = HttpContext.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no";
        await response.Body.FlushAsync(ct);

        try
        {
            await foreach (var message in stream.ReadAsync(job, subscription, untilExpiry.Token))
            {
                var frame = message.Event == JobEventStream.Heartbeat
                    ? ": keep-alive\n\n"
                    : $"event: {message.Event}\ndata: {JsonSerializer.Serialize(message.Job, ApiJson.Options)}\n\n";
                await response.Body.WriteAsync(Encoding.UTF8.GetBytes(frame), ct);
                await response.Body.FlushAsync(ct);
            }
        }
        catch (OperationCanceledException) when (untilExpiry.IsCancellationRequested)
        {
            // The client went away, or its token expired: the response ends here.
        }
    }
}
