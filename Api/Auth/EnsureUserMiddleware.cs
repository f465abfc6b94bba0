using System.Security.Claims;
using Platform.Api.Http;
using Platform.Core.Data;

namespace Platform.Api.Auth;

/// <summary>
/// Turns an authenticated caller's <c>(iss, sub)</c> into their platform user (<see cref="UserDirectory"/>: created
/// with the free plan on first sign-in) and adds its id as <see cref="CurrentUser.UserIdClaim"/>. A token without
/// <c>iss</c>/<c>sub</c>, or whose subject does not fit the identity table, answers 401; a deleted account answers
/// 410 to everything but a repeated <c>DELETE /api/me</c> (which is idempotent).
/// </summary>
public sealed class EnsureUserMiddleware(RequestDelegate next)
{
    private const int MaxSubjectLength = 255;
    private const int MaxIssuerLength = 2048;

    public async Task InvokeAsync(HttpContext context, UserDirectory users)
    {
        if (context.User.Identity?.IsAuthenticated == true)
        {
            var issuer = context.User.FindFirstValue("iss");
            var subject = context.User.FindFirstValue("sub");
            if (string.IsNullOrWhiteSpace(issuer) || string.IsNullOrEmpty(subject)
                || subject.Length > MaxSubjectLength || issuer.Length > MaxIssuerLength
                || !PostgresText.IsStorable(subject) || !PostgresText.IsStorable(issuer))
            {
                await Problems.WriteAsync(context, StatusCodes.Status401Unauthorized, "Invalid token subject",
                    $"The token needs an 'iss' and a 'sub' claim (at most {MaxSubjectLength} characters).");
                return;
            }

            var email = IsTrue(context.User.FindFirstValue("email_verified")) ? context.User.FindFirstValue("email") : null;
            if (email is not null && (email.Length > 320 || !PostgresText.IsStorable(email)))
            {
                email = null;
            }

            var user = await users.SignInAsync(issuer, subject, email, context.RequestAborted);
            if (user.IsDeleted && !(HttpMethods.IsDelete(context.Request.Method) && context.Request.Path.Equals("/api/me", StringComparison.OrdinalIgnoreCase)))
            {
                await Problems.WriteAsync(context, StatusCodes.Status410Gone, "Account deleted", "This account was deleted.");
                return;
            }

            context.User.AddIdentity(new ClaimsIdentity([new Claim(CurrentUser.UserIdClaim, user.UserId.ToString())], "platform"));
        }

        await next(context);
    }

    private static bool IsTrue(string? value) => string.Equals(value, "true", StringComparison.OrdinalIgnoreCase);
}
