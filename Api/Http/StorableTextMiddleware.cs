using System.Text.Json;
using FastEndpoints;
using FluentValidation.Results;
using Platform.Core.Data;

namespace Platform.Api.Http;

/// <summary>
/// Refuses, with a 400 problem naming each field, request text that PostgreSQL cannot store: U+0000 and unpaired
/// UTF-16 surrogates (see <see cref="PostgresText"/>) in route values, query parameters and JSON bodies (string values
/// and property names, <c>\u0000</c>/<c>\ud800</c> escapes included; the field is named by its JSON path, e.g.
/// <c>payload.items[1]</c>). A client that sends them has a bug, and silently changing its data would hide it; text
/// the platform receives from others (Stripe events, feeds, remote errors) is cleaned instead, where it is stored.
/// Endpoints that read their body raw (<see cref="RawBody"/>, e.g. the Stripe webhook, whose signature covers the
/// exact bytes) are not checked here. Runs after authentication, so an anonymous caller still gets 401 first.
/// </summary>
public sealed class StorableTextMiddleware(RequestDelegate next)
{
    private const string Reason = "Text may not contain U+0000 or unpaired UTF-16 surrogates (PostgreSQL cannot store them).";

    public async Task InvokeAsync(HttpContext context)
    {
        var failures = new List<ValidationFailure>();
        foreach (var (name, value) in context.Request.RouteValues)
        {
            if (value is string text && !PostgresText.IsStorable(text))
            {
                failures.Add(new ValidationFailure(PostgresText.Clean(name), Reason));
            }
        }

        foreach (var (name, values) in context.Request.Query)
        {
            if (!PostgresText.IsStorable(name) || values.Any(v => v is not null && !PostgresText.IsStorable(v)))
            {
                failures.Add(new ValidationFailure(PostgresText.Clean(name), Reason));
            }
        }

        if (context.Request.HasJsonContentType() && context.GetEndpoint()?.Metadata.GetMetadata<RawBody>() is null)
        {
            var field = await FindUnstorableBodyFieldAsync(context.Request);
            if (field is not null)
            {
                failures.Add(new ValidationFailure(field, Reason));
            }
        }

        if (failures.Count > 0)
        {
            await context.Response.SendErrorsAsync(failures, StatusCodes.Status400BadRequest, cancellation: context.RequestAborted);
            return;
        }

        await next(context);
    }

    /// <summary>The JSON path of the first unstorable string in the body (read into a rewindable buffer), or null.</summary>
    private static async Task<string?> FindUnstorableBodyFieldAsync(HttpRequest request)
    {
        request.EnableBuffering();
        using var buffer = new MemoryStream();
        await request.Body.CopyToAsync(buffer, request.HttpContext.RequestAborted);
        request.Body.Position = 0;
        try
        {
            return PostgresText.FindUnstorableJsonString(buffer.GetBuffer().AsSpan(0, (int)buffer.Length));
        }
        catch (JsonException)
        {
            return null; // not JSON: the endpoint's binding answers that
        }
    }
}

/// <summary>
/// Endpoint metadata: the endpoint reads its request body raw and makes it storable itself, so
/// <see cref="StorableTextMiddleware"/> leaves the body alone (<c>Options(b => b.WithMetadata(new RawBody()))</c>).
/// </summary>
public sealed class RawBody;
