using Microsoft.AspNetCore.Http.HttpResults;

namespace Platform.Api.Http;

/// <summary>
/// RFC 9457 problem details with a title and a useful detail: as results (endpoints returning <c>IResult</c>), or
/// written straight to the response (<see cref="WriteAsync"/>: middlewares, and endpoints, since FastEndpoints'
/// <c>Send.NotFoundAsync</c> sends no body).
/// </summary>
public static class Problems
{
    public static ProblemHttpResult NotFound(string detail) =>
        TypedResults.Problem(detail: detail, statusCode: StatusCodes.Status404NotFound, title: "Not found");

    public static ProblemHttpResult Conflict(string detail) =>
        TypedResults.Problem(detail: detail, statusCode: StatusCodes.Status409Conflict, title: "Conflict");

    public static ProblemHttpResult Forbidden(string detail) =>
        TypedResults.Problem(detail: detail, statusCode: StatusCodes.Status403Forbidden, title: "Forbidden");

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
