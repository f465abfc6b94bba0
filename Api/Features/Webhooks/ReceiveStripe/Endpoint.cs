using FastEndpoints;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;
using Platform.Api.Http;
using Platform.Core.Billing;

namespace Platform.Api.Features.Webhooks.ReceiveStripe;

/// <summary>
/// <c>POST /webhooks/stripe</c> (anonymous; Stripe signs instead): verifies <c>Stripe-Signature</c> over the raw body
/// against every configured secret with a 300 s tolerance, stores the event once together with its processing job
/// (<c>record_stripe_webhooks</c>, with the events of concurrent requests in one statement and transaction by
/// <see cref="StripeEventWriter"/>) and answers 200 once that transaction committed. When the writer's queue is full
/// the answer is 503 with <c>Retry-After: 1</c> and nothing is stored (Stripe re-delivers). A duplicate answers 200 and changes nothing;
/// a type the platform does not act on is stored as ignored and acknowledged. Anything unverifiable or not a Stripe
/// event is refused with 400 and nothing is stored; so is a signed event PostgreSQL refuses as data
/// (<see cref="StripeWebhookStore.IsUnstorableEvent"/>: an id too long to index, say), never a 500. The signature is
/// checked over the raw bytes before anything is cleaned; the payload is then stored as
/// <see cref="Platform.Core.Data.PostgresText.CleanJson"/> makes it (a number <c>jsonb</c> cannot hold, <c>1e1000000</c>,
/// kept as the string written), so such an event is acknowledged and processed, not refused and lost. Any API version
/// is accepted: processing re-reads the objects.
/// Refusals count against the client's budget of unsigned requests (<see cref="UnsignedWebhookLimiter"/>): over it
/// the answer is 429 with <c>Retry-After</c>; correctly signed events never take from it. Only refusals within the budget
/// are logged (a warning with the client address key), so an unsigned flood costs no log volume past the budget.
/// </summary>
public sealed partial class Endpoint(
    StripeEventWriter writer, IOptionsMonitor<StripeOptions> options, TimeProvider clock, UnsignedWebhookLimiter unsigned)
    : EndpointWithoutRequest<Response>
{
    /// <summary>Seconds Stripe is asked to wait when the intake queue is full.</summary>
    public const int BusyRetryAfterSeconds = 1;

    public override void Configure()
    {
        Post("/webhooks/stripe");
        AllowAnonymous();
        Options(b => b.WithMetadata(new TextCleanedByEndpoint { Body = true })); // signed bytes; StripeWebhookStore cleans
        Description(d => d.WithTags("Webhooks").Produces<Response>(200).ProducesProblemDetails(400).ProducesProblemDetails(413)
            .ProducesProblemDetails(429).ProducesProblemDetails(503));
        Options(x => x.WithMetadata(new Microsoft.AspNetCore.Mvc.DisableRequestSizeLimitAttribute())); // its own limit below
        Summary(s => s.Summary = "Stripe webhook receiver (signed events)");
    }

    public override async Task HandleAsync(CancellationToken ct)
    {
        var settings = options.CurrentValue;
        var secrets = settings.WebhookSecrets;
        if (secrets.Count == 0)
        {
            await Send.ResultAsync(TypedResults.Problem(
                title: "Stripe webhooks are not configured",
                detail: "Set Stripe:WebhookSecret (the endpoint's whsec_ signing secret) to receive Stripe events.",
                statusCode: StatusCodes.Status503ServiceUnavailable));
            return;
        }

        var body = await ReadBodyAsync(settings.MaxWebhookBodyBytes, ct);
        if (body is null)
        {
            await Send.ResultAsync(TypedResults.Problem(
                title: "Webhook body too large",
                detail: $"Stripe events are accepted up to {settings.MaxWebhookBodyBytes} bytes.",
                statusCode: StatusCodes.Status413PayloadTooLarge));
            return;
        }

        var verdict = StripeSignature.Verify(
            body, HttpContext.Request.Headers["Stripe-Signature"].ToString(), secrets, settings.WebhookToleranceSeconds, clock.GetUtcNow());
        if (verdict != StripeSignatureResult.Valid)
        {
            var client = ClientAddress.Key(HttpContext);
            if (!unsigned.TryCountFailure(client, out var retryAfter))
            {
                // Not logged: a flood past the budget must not cost a log record (and its ingestion) per request.
                await Send.ResultAsync(Problems.RetryLater(HttpContext, StatusCodes.Status429TooManyRequests, "Too many requests",
                    $"Too many unsigned webhook requests from this address; retry after {retryAfter} s.", retryAfter));
                return;
            }

            LogRejected(verdict, client);
            await Send.ResultAsync(TypedResults.Problem(
                title: "Invalid Stripe signature", detail: StripeSignature.Describe(verdict), statusCode: StatusCodes.Status400BadRequest));
            return;
        }

        if (!StripeEventEnvelope.TryParse(body, out var envelope, out var error))
        {
            LogNotAnEvent(error!);
            await Send.ResultAsync(TypedResults.Problem(
                title: "Not a Stripe event", detail: error, statusCode: StatusCodes.Status400BadRequest));
            return;
        }

        var pending = writer.TryRecord(new StripeEventToRecord(envelope!, System.Text.Encoding.UTF8.GetString(body), StripeEventSource.Webhook));
        if (pending is null)
        {
            await Send.ResultAsync(Problems.RetryLater(HttpContext, StatusCodes.Status503ServiceUnavailable, "Webhook intake busy",
                $"Too many Stripe events are waiting to be stored; nothing was stored. Retry after {BusyRetryAfterSeconds} s.",
                BusyRetryAfterSeconds));
            return;
        }

        RecordedStripeEvent recorded;
        try
        {
            recorded = await pending.WaitAsync(ct); // the event is written even when the client goes away
        }
        catch (Npgsql.PostgresException refused) when (StripeWebhookStore.IsUnstorableEvent(refused))
        {
            // Its batch was retried one event per transaction: only this event failed, and nothing of it was stored.
            LogNotStorable(envelope!.Id, $"{refused.SqlState}: {refused.MessageText}"); // the schema's names stay in the log
            await Send.ResultAsync(TypedResults.Problem(
                title: "Event not storable",
                detail: $"The event holds a value PostgreSQL cannot store (SQLSTATE {refused.SqlState}); nothing was stored.",
                statusCode: StatusCodes.Status400BadRequest));
            return;
        }

        await Send.OkAsync(
            new Response(envelope!.Id, !recorded.Inserted, StripeEventTypes.IsHandled(envelope.Type) ? "queued" : "ignored"), ct);
    }

    /// <summary>The raw body, or null when it is larger than <paramref name="limit"/> bytes.</summary>
    private async Task<byte[]?> ReadBodyAsync(int limit, CancellationToken ct)
    {
        if (HttpContext.Request.ContentLength > limit)
        {
            return null;
        }

        // With a Content-Length, Kestrel enforces it exactly. A chunked body is judged by the loop below alone (it stops
        // reading past the limit): Kestrel's per-request limit refused a chunked body of exactly the limit even when set
        // one byte higher (it counts more than the decoded bytes).
        if (HttpContext.Request.ContentLength is not null
            && HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } sizeLimit)
        {
            sizeLimit.MaxRequestBodySize = limit;
        }

        using var buffer = new MemoryStream(HttpContext.Request.ContentLength is long length ? (int)length : 4096);
        var chunk = new byte[16 * 1024];
        try
        {
            int read;
            while ((read = await HttpContext.Request.Body.ReadAsync(chunk, ct)) > 0)
            {
                if (buffer.Length + read > limit)
                {
                    return null;
                }

                buffer.Write(chunk, 0, read);
            }
        }
        catch (BadHttpRequestException error) when (error.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return null;
        }

        return buffer.Length == buffer.Capacity ? buffer.GetBuffer() : buffer.ToArray(); // no second copy when Content-Length was exact
    }

    [LoggerMessage(LogLevel.Warning, "Stripe webhook refused: {Verdict} (from {ClientAddress})")]
    private partial void LogRejected(StripeSignatureResult verdict, string clientAddress);

    [LoggerMessage(LogLevel.Warning, "Stripe webhook {EventId} refused: signed, but PostgreSQL cannot store it ({Reason})")]
    private partial void LogNotStorable(string eventId, string reason);

    [LoggerMessage(LogLevel.Warning, "Stripe webhook refused: signed, but not a Stripe event ({Reason})")]
    private partial void LogNotAnEvent(string reason);
}
