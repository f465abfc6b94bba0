using System.Globalization;
using Microsoft.AspNetCore.Diagnostics;
using Npgsql;
using Platform.Api.Features.Discovery.Shared;
using Platform.Core.Data;

namespace Platform.Api.Http;

/// <summary>
/// Answers a request that failed because the database is unavailable (<see cref="DatabaseOutage.IsOutage"/>: stopped,
/// restarting, crashed, out of connection slots, a broken connection, a statement cut off by a timeout) with 503 and
/// <c>Retry-After: 5</c> as RFC 9457 problem details, instead of 500 (RFC 9110 §15.6.4: 503 is "temporarily unable",
/// and Retry-After says when to come back). Every write path is safe to repeat (idempotency keys, Stripe event ids),
/// and Stripe re-delivers a webhook that got a non-2xx. When the connection itself broke, both pools (<see cref="NpgsqlDataSource"/> and
/// <see cref="AnonymousDataSource"/>) are cleared, so the other idle connections a restart broke do not each fail one
/// more request. Any other exception is left to the default handler (500).
/// </summary>
public sealed partial class DatabaseUnavailableHandler(
    IProblemDetailsService problems, NpgsqlDataSource dataSource, AnonymousDataSource anonymous, ILogger<DatabaseUnavailableHandler> logger)
    : IExceptionHandler
{
    /// <summary>Seconds a client is asked to wait (a PostgreSQL restart or failover takes a few).</summary>
    public const int RetryAfterSeconds = 5;

    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
    {
        if (!DatabaseOutage.IsOutage(exception) || context.Response.HasStarted)
        {
            return false;
        }

        if (DatabaseOutage.BrokeConnections(exception))
        {
            dataSource.Clear();
            anonymous.DataSource.Clear();
        }

        LogUnavailable(exception.GetBaseException().Message, context.Request.Method, context.Request.Path);
        context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        context.Response.Headers.RetryAfter = RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            Exception = exception,
            ProblemDetails =
            {
                Status = StatusCodes.Status503ServiceUnavailable,
                Title = "Service unavailable",
                Detail = $"The database is unavailable; nothing was changed. Retry after {RetryAfterSeconds} s.",
            },
        });
    }

    [LoggerMessage(LogLevel.Warning, "Database unavailable ({Reason}): {Method} {Path} answered 503")]
    private partial void LogUnavailable(string reason, string method, PathString path);
}
