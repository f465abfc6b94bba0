using System.Diagnostics.CodeAnalysis;

namespace Platform.Core.Ingestion;

/// <summary>
/// An RSS/Atom feed address: an absolute http(s) URL without credentials or fragment. Which addresses name the same feed
/// (http/https, trailing slash, host case, default port) is decided in SQL, by <c>feed_source_key()</c> (migration 024).
/// </summary>
public static class FeedAddress
{
    public static bool TryNormalize(string? input, [NotNullWhen(true)] out string? normalized)
    {
        normalized = null;
        var text = input?.Trim();
        if (string.IsNullOrEmpty(text) || text.Length > 2000
            || !Uri.TryCreate(text, UriKind.Absolute, out var uri)
            || uri.Scheme is not ("http" or "https")
            || uri.UserInfo.Length > 0
            || string.IsNullOrEmpty(uri.Host))
        {
            return false;
        }

        normalized = new UriBuilder(uri) { Fragment = string.Empty }.Uri.AbsoluteUri;
        return true;
    }
}
