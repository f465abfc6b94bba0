using System.Net.WebSockets;
using System.Text.Json;
using Platform.Api.Auth;
using Platform.Api.Features.Jobs.Streaming;
using Platform.Api.Http;

namespace Platform.Api.Features.Jobs.JobWebSocket;

/// <summary>
/// <c>GET /api/jobs/{id}/ws</c> (WebSocket): the same stream as the SSE endpoint, one text message per event,
/// <c>{"event": "...", "job": {...}}</c>; the server closes normally after the terminal event, and with 1008
/// (policy violation, "token expired") when the token expires first. Capped like SSE (<see cref="JobStreamLimits"/>).
/// (FastEndpoints has no WebSocket endpoint type, so this one is a minimal-API route.)
/// </summary>
public static class Endpoint
{
    public static IEndpointRouteBuilder MapJobWebSocket(this IEndpointRouteBuilder routes)
    {
        routes.Map("/api/jobs/{id}/ws", HandleAsync).RequireAuthorization().WithTags("Jobs");
        return routes;
    }

    private static async Task<IResult> HandleAsync(string id, HttpContext context, JobEventStream stream, JobStreamLimits limits)
    {
        if (!Guid.TryParse(id, out var jobId))
        {
            return TypedResults.Problem(detail: $"'{Problems.Cite(id)}' is not a job id.", statusCode: StatusCodes.Status400BadRequest, title: "Bad request");
        }

        if (!context.WebSockets.IsWebSocketRequest)
        {
            return TypedResults.Problem(
                detail: "This endpoint speaks WebSocket; use /api/jobs/{id}/events for Server-Sent Events.",
                statusCode: StatusCodes.Status400BadRequest,
                title: "WebSocket upgrade expected");
        }

        var userId = context.User.UserId()!.Value;
        using var slot = limits.TryOpen(userId);
        if (slot is null)
        {
            return JobStreamLimits.TooMany(context);
        }

        using var subscription = stream.Subscribe(jobId);
        var job = await stream.FindAsync(userId, jobId, context.RequestAborted);
        if (job is null)
        {
            return Problems.NotFound($"No job {jobId} of yours.");
        }

        using var socket = await context.WebSockets.AcceptWebSocketAsync();
        var aborted = context.RequestAborted;
        using var untilExpiry = CancellationTokenSource.CreateLinkedTokenSource(aborted);
        if (limits.Remaining(context.User) is { } remaining)
        {
            untilExpiry.CancelAfter(remaining);
        }

        try
        {
            await foreach (var message in stream.ReadAsync(job, subscription, untilExpiry.Token))
            {
                if (message.Event == JobEventStream.Heartbeat)
                {
                    continue; // WebSocket keep-alive pings cover idle connections
                }

                var bytes = JsonSerializer.SerializeToUtf8Bytes(new { @event = message.Event, job = message.Job }, ApiJson.Options);
                await socket.SendAsync(bytes, WebSocketMessageType.Text, endOfMessage: true, aborted);
            }

            await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "job finished", aborted);
        }
        catch (OperationCanceledException) when (untilExpiry.IsCancellationRequested && !aborted.IsCancellationRequested)
        {
            try
            {
                await socket.CloseAsync(WebSocketCloseStatus.PolicyViolation, "token expired", aborted); // RFC 6455 1008
            }
            catch (Exception error) when (error is OperationCanceledException or WebSocketException)
            {
                // The client went away meanwhile.
            }
        }
        catch (Exception error) when (error is OperationCanceledException or WebSocketException)
        {
            // The client went away.
        }

        return Results.Empty;
    }
}
