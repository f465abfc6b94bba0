using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace Platform.Api.Features.Platforms.YouTubeOAuth;

/// <summary>
/// The cookie that binds one YouTube OAuth authorization to the browser that started it (RFC 6749 §10.12; RFC 9700
/// §2.1 and §4.7). <c>POST /api/me/platforms/youtube/authorize</c> sets it; the callback completes only when the browser
/// that brings Google's redirect sends it back (<see cref="OAuthStateStore.TakeAsync"/> compares its SHA-256 with the
/// one stored with the state), and clears it. Without it, an attacker could start an authorization as themselves and
/// send the victim the <c>authorization_url</c>: the victim's consent would verify the victim's channels for the attacker.
/// </summary>
/// <remarks>
/// One cookie per authorization, as ASP.NET Core's correlation cookie: named <c>youtube_oauth_</c> + 22 base64url
/// characters of the state's SHA-256, so several tabs can each finish their own flow and a stray callback does not
/// disturb another's. Value: 32 random bytes, base64url. <c>HttpOnly</c>, <c>SameSite=Lax</c> (sent on Google's top-level
/// GET redirect, not on cross-site subrequests), <c>Secure</c> when the request or the callback URI is https, path the
/// callback's path only, host-only, <c>Max-Age</c> the state's lifetime.
/// </remarks>
public static class OAuthBrowserCookie
{
    public const string NamePrefix = "youtube_oauth_";

    /// <summary>The cookie name of the authorization <paramref name="state"/>.</summary>
    public static string Name(string state) =>
        NamePrefix + Base64Url.EncodeToString(SHA256.HashData(Encoding.UTF8.GetBytes(state)))[..22];

    /// <summary>Sets the binding of <paramref name="state"/> in the calling browser for <paramref name="lifetime"/>.</summary>
    public static void Set(HttpContext context, string state, string binding, TimeSpan lifetime) =>
        context.Response.Cookies.Append(Name(state), binding, Options(context, lifetime));

    /// <summary>The binding the browser sent for <paramref name="state"/> (null when none), cleared in the response.</summary>
    public static string? Take(HttpContext context, string? state)
    {
        if (string.IsNullOrEmpty(state) || state.Length > 128)
        {
            return null;
        }

        var name = Name(state);
        if (!context.Request.Cookies.TryGetValue(name, out var binding))
        {
            return null;
        }

        context.Response.Cookies.Delete(name, Options(context, lifetime: null));
        return binding;
    }

    private static CookieOptions Options(HttpContext context, TimeSpan? lifetime)
    {
        var callback = new Uri(YouTubeOAuthRedirect.CallbackUri(context));
        return new CookieOptions
        {
            HttpOnly = true,
            SameSite = SameSiteMode.Lax,
            Secure = context.Request.IsHttps || callback.Scheme == Uri.UriSchemeHttps,
            Path = callback.AbsolutePath,
            MaxAge = lifetime,
            IsEssential = true, // strictly necessary for the flow the user asked for, not tracking
        };
    }
}
