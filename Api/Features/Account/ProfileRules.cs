using System.Text.RegularExpressions;

namespace Platform.Api.Features.Account;

/// <summary>What a public profile may hold (the one place; <c>PATCH /api/me/profile</c> checks it).</summary>
public static partial class ProfileRules
{
    public const int MaxDisplayNameLength = 100;

    /// <summary>The schema's <c>users_bio_length</c> (5,000 characters).</summary>
    public const int MaxBioLength = 5000;

    public const int MaxUrlLength = 2048;

    public const int MaxSocialLinks = 16;

    /// <summary>
    /// Words that are paths or would impersonate the platform, refused as usernames (case-insensitively): the site's
    /// own routes (<c>/c/…</c>, <c>/sitemaps/…</c>, <c>/api/…</c>) and names people would mistake for staff.
    /// </summary>
    public static readonly IReadOnlySet<string> ReservedUsernames = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
    {
        "admin", "administrator", "api", "c", "search", "category", "categories", "tag", "tags", "sitemaps", "sitemap",
        "robots", "swagger", "health", "alive", "webhooks", "me", "public", "static", "assets", "www", "help", "about",
        "settings", "login", "logout", "signin", "signup", "support", "billing", "jobs", "root", "system", "platform",
        "staff", "moderator", "security", "null", "undefined", "creators", "content", "trending", "featured", "u", "user",
        "users", "feed", "explore", "terms", "privacy",
    };

    /// <summary>The schema's <c>users_username_format</c>: 2-39 of a-z, 0-9, <c>_ . -</c>, not starting with <c>.</c> or <c>-</c>.</summary>
    /// <remarks>ASCII letters spelled out rather than IgnoreCase, which would also let in look-alikes such as the
    /// Kelvin sign (U+212A matches <c>k</c> case-insensitively in .NET but not in the database's check).</remarks>
    /// <remarks>ASCII letters spelled out rather than IgnoreCase, which would also let in look-alikes such as the
    /// Kelvin sign (U+212A matches <c>k</c> case-insensitively in .NET but not in the database's check).</remarks>
    [GeneratedRegex("^[a-zA-Z0-9_][a-zA-Z0-9_.-]{1,38}$", RegexOptions.CultureInvariant)]
    public static partial Regex UsernameFormat();

    /// <summary>Keys of <c>social_links</c>: a network's short name (<c>youtube</c>, <c>x</c>, <c>mastodon</c>…).</summary>
    [GeneratedRegex("^[a-z0-9][a-z0-9_-]{0,31}$", RegexOptions.CultureInvariant)]
    public static partial Regex SocialLinkKey();

    /// <summary>An absolute http(s) URL with a host and no user info, at most 2,048 characters; normalized on success.</summary>
    public static bool TryNormalizeUrl(string? text, out string url)
    {
        url = string.Empty;
        if (string.IsNullOrWhiteSpace(text) || text.Length > MaxUrlLength || text.Any(char.IsControl)
            || !Uri.TryCreate(text.Trim(), UriKind.Absolute, out var uri)
            || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)
            || string.IsNullOrEmpty(uri.Host) || uri.UserInfo.Length > 0)
        {
            return false;
        }

        url = uri.AbsoluteUri;
        return url.Length <= MaxUrlLength;
    }
}
