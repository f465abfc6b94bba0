using System.Collections.Concurrent;
using Microsoft.AspNetCore.Mvc;
using Npgsql;

namespace Platform.Api.Auth;

/// <summary>
/// A user's first authenticated request creates their user row and free-tier subscription (<c>ensure_user</c>:
/// once, race-safe, in SQL). Remembered per process so later requests cost nothing. A token whose <c>sub</c> is not a
/// uuid is refused with 401.
/// </summary>
public sealed class EnsureUserMiddleware(RequestDelegate next)
{
    private static readonly ConcurrentDictionary<Guid, bool> Known = new();

    public async Task InvokeAsync(HttpContext context, NpgsqlDataSource dataSource)
    {
        if (context.User.Identity?.IsAuthenticated == true)
        {
            var userId = context.User.UserId();
            if (userId is null)
            {
                await Results.Problem(new ProblemDetails
                {
                    Status = StatusCodes.Status401Unauthorized,
                    Title = "Invalid token subject",
                    Detail = "The token's 'sub' claim must be the user's id (a uuid).",
                }).ExecuteAsync(context);
                return;
            }

            if (!Known.ContainsKey(userId.Value))
            {
                await using var command = dataSource.CreateCommand("SELECT ensure_user(@id, @email)");
                command.Parameters.AddWithValue("id", userId.Value);
                command.Parameters.Add(new NpgsqlParameter("email", NpgsqlTypes.NpgsqlDbType.Text)
                {
                    Value = (object?)context.User.FindFirst("email")?.Value ?? DBNull.Value,
                });
                await command.ExecuteNonQueryAsync(context.RequestAborted);
                Known[userId.Value] = true;
            }
        }

        await next(context);
    }
}
