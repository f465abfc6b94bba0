using System.Text.Json;
using FastEndpoints;
using FluentValidation.Results;
using Platform.Core.Data;

namespace Platform.Api.Http;

/// <summary>
/// Refuses, with a 400 problem naming each field, request text that PostgreSQL cannot store: U+0000 and unpaired
/// UTF-16 surrogates (see <see cref="PostgresText"/>) and JSON strings that are not UTF-8, in route values, query
/// parameters and JSON bodies (string values and property names, <c>\u0000</c>/<c>\ud800</c> escapes included, and
/// numbers beyond <c>numeric</c>'s range such as <c>1e1000000</c>; the field is named by its JSON path, e.g.
/// <c>payload.items[1]</c>; a name or path is cited by <see cref="Problems.Cite"/>, never reflected whole). A client that sends them has a bug, and silently
/// changing its data would hide it; text the platform receives from others (Stripe events, feeds, remote errors) is
/// cleaned instead, where it is stored. An endpoint that makes some input storable itself says so with
/// <see cref="TextCleanedByEndpoint"/> (the Stripe webhook's body, whose signature covers the exact bytes; the search
/// box's <c>q</c>, where any text is a harmless search). Runs after authentication, so an anonymous caller still gets
/// 401 first.
/// </summary>
public sealed class StorableTextMiddleware(RequestDelegate next)
{
    private const string Reason =
        "Text may not contain U+0000 or unpaired UTF-16 surrogates, and must be UTF-8 (PostgreSQL cannot store anything else).";

    private const string BodyReason =
        "Text may not contain U+0000 or unpaired UTF-16 surrogates, and must be UTF-8; a number may have at most 16383 digits after the decimal point and 131072 before it (PostgreSQL cannot store anything else).";

    public async Task InvokeAsync(HttpContext context)
    {
        var failures = new List<ValidationFailure>();
        var exempt = context.GetEndpoint()?.Metadata.GetMetadata<TextCleanedByEndpoint>();
        foreach (var (name, value) in context.Request.RouteValues)
        {
            if (value is string text && !PostgresText.IsStorable(text) && exempt?.Parameters.Contains(name) != true)
            {
                failures.Add(new ValidationFailure(Problems.Cite(name), Reason));
            }
        }

        foreach (var (name, values) in context.Request.Query)
        {
            if ((!PostgresText.IsStorable(name) || values.Any(v => v is not null && !PostgresText.IsStorable(v)))
                && exempt?.Parameters.Contains(name) != true)
            {
                failures.Add(new ValidationFailure(Problems.Cite(name), Reason));
            }
        }

        if (context.Request.HasJsonContentType() && exempt?.Body != true)
        {
            var field = await FindUnstorableBodyFieldAsync(context.Request);
            if (field is not null)
            {
                failures.Add(new ValidationFailure(Problems.Cite(field), BodyReason));
            }
        }

        if (failures.Count > 0)
        {
            await context.Response.SendErrorsAsync(failures, StatusCodes.Status400BadRequest, cancellation: context.RequestAborted);
            return;
        }

        await next(context);
    }

    /// <summary>
    /// The JSON path of the first unstorable string in the body, or null. The body is read once into memory, which then
    /// becomes the request's body for the endpoint to bind (bounded by <see cref="RequestBodyLimitMiddleware"/>; no
    /// second copy and no temporary file, as <c>EnableBuffering</c> plus a copy would make).
    /// </summary>
    private static async Task<string?> FindUnstorableBodyFieldAsync(HttpRequest request)
    {
        var buffer = new MemoryStream(request.ContentLength is > 0 and < 1 << 20 ? (int)request.ContentLength : 4096);
        request.HttpContext.Response.RegisterForDispose(buffer);
        await request.Body.CopyToAsync(buffer, request.HttpContext.RequestAborted);
        buffer.Position = 0;
        request.Body = buffer;
        var json = buffer.GetBuffer().AsSpan(0, (int)buffer.Length);
        if (!PostgresText.MayHoldUnstorableJson(json))
        {
            return null; // the common case: raw, U+0000 is not valid JSON and a lone surrogate is not valid UTF-8
        }

        try
        {
            return PostgresText.FindUnstorableJsonString(json);
        }
        catch (JsonException)
        {
            return null; // not JSON: the endpoint's binding answers that
        }
    }
}

/// <summary>
/// Endpoint metadata: inputs this endpoint makes storable itself, which <see cref="StorableTextMiddleware"/> then
/// leaves alone: its JSON body (<see cref="Body"/>) and/or the route or query parameters named
/// (<c>Options(b => b.WithMetadata(new TextCleanedByEndpoint("q")))</c>).
/// </summary>
public sealed class TextCleanedByEndpoint(params string[] parameters)
{
    /// <summary>The body is read raw and cleaned where it is stored.</summary>
    public bool Body { get; init; }

    /// <summary>Route or query parameter names (case-insensitive, as ASP.NET Core matches them).</summary>
    public IReadOnlySet<string> Parameters { get; } = new HashSet<string>(parameters, StringComparer.OrdinalIgnoreCase);
}
