using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Primitives;
using Platform.Core.Billing;
using Platform.Core.Data;

namespace Platform.Api.Http;

/// <summary>
/// The Api's one problem-details helper (RFC 9457; <c>application/problem+json</c>, snake_case extension members):
/// results for endpoints (<see cref="ProblemHttpResult"/>, sent with <c>Send.ResultAsync</c>), the problem types the
/// Api documents (a <c>type</c> URI each), and <see cref="WriteAsync"/> for middlewares and for endpoints that write
/// the response themselves (FastEndpoints' <c>Send.NotFoundAsync</c> sends no body). Everything goes through
/// <see cref="IProblemDetailsService"/>, which adds the <c>trace_id</c> (<see cref="Customize"/>).
/// </summary>
public static class Problems
{
    /// <summary>
    /// The <see cref="ProblemDetailsOptions.CustomizeProblemDetails"/> of every problem ASP.NET Core writes (results,
    /// status-code pages, the exception handler): its <c>traceId</c> member is written <c>trace_id</c>, as the rest of the
    /// Api's JSON and FastEndpoints' validation problems are, so a client reads one name whatever wrote the problem.
    /// </summary>
    public static void Customize(ProblemDetailsContext context)
    {
        if (context.ProblemDetails.Extensions.Remove("traceId", out var traceId))
        {
            context.ProblemDetails.Extensions["trace_id"] = traceId;
        }
    }

    /// <summary>
    /// FastEndpoints' validation problems (its validators, <c>SendErrorsAsync</c> from a middleware) in the shape of
    /// ASP.NET Core's: the <c>type</c> ASP.NET Core gives the status (<see cref="TypeFor"/>: RFC 9110 section 15.5.1 for
    /// 400, where FastEndpoints cites the obsoleted RFC 7231) and the <c>trace_id</c> it writes (<see cref="TraceId"/>,
    /// a W3C <c>traceparent</c>, where FastEndpoints writes Kestrel's connection-based request id, <c>0HN…:00000001</c>).
    /// Their <c>errors</c> list names each field (<c>name</c>, <c>reason</c>) as before. The <c>instance</c> is the request
    /// path (URI-escaped) with each segment cited (<see cref="Cite"/>) and the whole cut to <see cref="CitedPathMaxLength"/>:
    /// a route value of any length must not come back in full (<c>/api/jobs/1234…/audit</c>).
    /// </summary>
    public static void ShapeValidationProblems(FastEndpoints.ErrorOptions.ProblemDetailsConfig problems)
    {
        problems.TypeTransformer = problem => TypeFor(problem.Status);
        problems.ResponseBuilder = (failures, context, status) =>
            new FastEndpoints.ProblemDetails(failures, Instance(context), TraceId(context), status);
    }

    /// <summary>
    /// The most UTF-16 code units of a client's value (a route or query value, a field name) a problem cites
    /// (<see cref="Cite"/>): enough to recognise the value, too few to make the Api reflect, or its logs keep, a large text.
    /// </summary>
    public const int CitedValueMaxLength = 64;

    /// <summary>The most UTF-16 code units of the request path a validation problem's <c>instance</c> cites (before escaping; each segment at most <see cref="CitedValueMaxLength"/>).</summary>
    public const int CitedPathMaxLength = 256;

    /// <summary>What <see cref="Cite"/> ends a cut value with (U+2026), so a reader knows the value went on.</summary>
    public const string CutMarker = "\u2026";

    /// <summary>
    /// <paramref name="value"/>, a client's text, as a problem may quote it: made storable and cut to at most
    /// <paramref name="maxLength"/> UTF-16 code units at a text-element boundary, ending in <see cref="CutMarker"/> when
    /// cut (<see cref="PostgresText.Truncate"/>); empty for null. A problem names the parameter and cites the value, never
    /// reflects it whole: the value may be thousands of characters (a route segment, a query value).
    /// </summary>
    public static string Cite(string? value, int maxLength = CitedValueMaxLength) =>
        PostgresText.Truncate(value, maxLength, CutMarker) ?? string.Empty;

    /// <summary>
    /// FastEndpoints' <see cref="FastEndpoints.BindingOptions.FailureMessage"/>: the reason of a route, query, header or
    /// form value that does not convert to its property's type, with the value cited (<see cref="Cite"/>; several values
    /// of one name joined by commas), e.g. <c>Value [12ab…] is not valid for a [Guid] property.</c> FastEndpoints' own
    /// message quotes the whole value.
    /// </summary>
    public static string BindingFailure(Type type, string name, StringValues attempted) =>
        $"Value [{Cite(attempted.ToString())}] is not valid for a [{(Nullable.GetUnderlyingType(type) ?? type).Name}] property.";

    private static string Instance(HttpContext context)
    {
        var path = context.Request.Path.Value ?? string.Empty;
        var segments = path.Split('/');
        if (path.Length <= CitedPathMaxLength && segments.All(segment => segment.Length <= CitedValueMaxLength))
        {
            return context.Request.Path.ToString();
        }

        var cited = Cite(string.Join('/', segments.Select(segment => Cite(segment))), CitedPathMaxLength);
        return new PathString(cited.StartsWith('/') ? cited : "/" + cited).ToString(); // "/" + a combining mark is one text element
    }

    /// <summary>
    /// The <c>type</c> ASP.NET Core writes for <paramref name="status"/> (a section of RFC 9110, e.g.
    /// <c>https://tools.ietf.org/html/rfc9110#section-15.5.1</c> for 400), or <c>about:blank</c> (RFC 9457 section 4.2.1)
    /// for a status it has none for.
    /// </summary>
    public static string TypeFor(int status) => TypedResults.Problem(statusCode: status).ProblemDetails.Type ?? "about:blank";

    /// <summary>
    /// The trace id ASP.NET Core's problems carry: the current activity's id (W3C <c>traceparent</c>,
    /// <c>00-{trace id}-{span id}-{flags}</c>, the trace the logs and spans of the request carry), else the request's
    /// <see cref="HttpContext.TraceIdentifier"/>.
    /// </summary>
    public static string TraceId(HttpContext context) => System.Diagnostics.Activity.Current?.Id ?? context.TraceIdentifier;

    /// <summary>403: the plan's limit is reached (extensions <c>entitlement</c>, <c>tier</c>, <c>limit</c>, <c>used</c>, <c>upgrade</c>).</summary>
    public const string PlanLimitType = "https://platform.local/problems/plan-limit";

    /// <summary>409: a second checkout while a paid subscription is live.</summary>
    public const string AlreadySubscribedType = "https://platform.local/problems/already-subscribed";

    /// <summary>
    /// A 429 or 503 that the caller may retry, with <c>Retry-After</c> in whole seconds (at least 1; RFC 9110 §10.2.3)
    /// set on <paramref name="http"/>'s response.
    /// </summary>
    public static ProblemHttpResult RetryLater(HttpContext http, int status, string title, string detail, long retryAfterSeconds)
    {
        http.Response.Headers.RetryAfter = Math.Max(1, retryAfterSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture);
        return TypedResults.Problem(title: title, detail: detail, statusCode: status);
    }

    public static ProblemHttpResult NotFound(string detail) =>
        TypedResults.Problem(detail: detail, statusCode: StatusCodes.Status404NotFound, title: "Not found");

    public static ProblemHttpResult Conflict(string detail) =>
        TypedResults.Problem(detail: detail, statusCode: StatusCodes.Status409Conflict, title: "Conflict");

    public static ProblemHttpResult Forbidden(string detail) =>
        TypedResults.Problem(detail: detail, statusCode: StatusCodes.Status403Forbidden, title: "Forbidden");

    /// <summary>403 with the entitlement, the plan, the limit and the usage, and where to upgrade (<see cref="PlanLimitType"/>).</summary>
    public static ProblemHttpResult PlanLimitReached(EntitlementCheck check) =>
        TypedResults.Problem(
            detail: check.Message,
            statusCode: StatusCodes.Status403Forbidden,
            title: "Plan limit reached",
            type: PlanLimitType,
            extensions: new Dictionary<string, object?>
            {
                ["entitlement"] = check.Entitlement,
                ["tier"] = check.Tier,
                ["limit"] = check.Limit,
                ["used"] = check.Used,
                ["upgrade"] = "/api/billing/checkout",
            });

    /// <summary>
    /// 409 (<see cref="AlreadySubscribedType"/>): a second checkout while a paid subscription is live (on record, or
    /// reported by Stripe before its webhooks were applied) would make the user pay twice. Extensions: <c>tier</c>,
    /// <c>status</c>, <c>subscription_id</c>, and <c>portal</c>, where the plan is changed or cancelled instead.
    /// </summary>
    public static ProblemHttpResult AlreadySubscribed(string tier, string status, string? subscriptionId) =>
        TypedResults.Problem(
            detail: $"You are on the {tier} plan ({status}). Change or cancel it in the customer portal (POST /api/billing/portal).",
            statusCode: StatusCodes.Status409Conflict,
            title: "Already subscribed",
            type: AlreadySubscribedType,
            extensions: new Dictionary<string, object?>
            {
                ["tier"] = tier,
                ["status"] = status,
                ["subscription_id"] = subscriptionId,
                ["portal"] = "/api/billing/portal",
            });

    /// <summary>503: no Stripe secret key on this server.</summary>
    public static ProblemHttpResult BillingNotConfigured() =>
        TypedResults.Problem(
            detail: "Stripe is not configured on this server (Stripe:SecretKey).",
            statusCode: StatusCodes.Status503ServiceUnavailable,
            title: "Billing unavailable");

    /// <summary>502: Stripe refused or failed a request; extension <c>stripe_request_id</c> for Stripe's support.</summary>
    public static ProblemHttpResult StripeFailed(Stripe.StripeException error) =>
        TypedResults.Problem(
            detail: $"Stripe refused the request: {error.StripeError?.Message ?? error.Message}",
            statusCode: StatusCodes.Status502BadGateway,
            title: "Stripe error",
            extensions: new Dictionary<string, object?> { ["stripe_request_id"] = error.StripeResponse?.RequestId });

    /// <summary>404 written through <see cref="IProblemDetailsService"/>.</summary>
    public static Task NotFoundAsync(HttpContext context, string? detail = null) =>
        WriteAsync(context, StatusCodes.Status404NotFound, "Not Found", detail);

    /// <summary>Sets <paramref name="status"/> and writes the problem through <see cref="IProblemDetailsService"/>.</summary>
    public static async Task WriteAsync(HttpContext context, int status, string title, string? detail = null)
    {
        context.Response.StatusCode = status;
        var service = context.RequestServices.GetRequiredService<IProblemDetailsService>();
        await service.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails = { Status = status, Title = title, Detail = detail },
        });
    }
}
