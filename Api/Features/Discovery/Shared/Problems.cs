namespace Platform.Api.Features.Discovery.Shared;

/// <summary>RFC 9457 problem details written by an endpoint itself (FastEndpoints' Send.NotFoundAsync sends no body).</summary>
public static class Problems
{
    public static Task NotFoundAsync(HttpContext context, string? detail = null) =>
        WriteAsync(context, StatusCodes.Status404NotFound, "Not Found", detail);

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
