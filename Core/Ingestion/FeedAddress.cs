using System.Diagnostics.CodeAnalysis;
using System.Text.RegularExpressions;

namespace Platform.Core.Ingestion;

/// <summary>
/// An RSS/Atom feed address: an absolute http(s) URL without credentials or fragment. Which addresses name the same feed
/// (http/https, trailing slash, host case, default port) is decided in SQL, by <c>feed_source_key()</c> (migration 024).
/// </summary>
/// <remarks>
/// The host is stored in the one form DNS resolves it by, so the SQL key sees one spelling: an internationalized name as
/// its ASCII A-labels (IDNA/UTS #46 via <see cref="Uri.IdnHost"/>: <c>bücher.example</c> is <c>xn--bcher-kva.example</c>)
/// and without the trailing dot of a fully qualified name (<c>blog.example.</c> is <c>blog.example</c>, RFC 1034 §3.1).
/// Otherwise a URL that .NET would fetch from the same server under another spelling would be another source: no 409 for
/// a feed another user verified, no takeover of an impostor's account. Percent-escapes are written with upper-case hex
/// digits (<c>%2f</c> is <c>%2F</c>, RFC 3986 §6.2.2.1). Percent-encoded unreserved characters, dot segments, default
/// ports and host case are already canonical in <see cref="Uri.AbsoluteUri"/>.
/// </remarks>
public static partial class FeedAddress
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

        var builder = new UriBuilder(uri) { Fragment = string.Empty };
        if (uri.HostNameType == UriHostNameType.Dns)
        {
            var host = uri.IdnHost.TrimEnd('.');
            if (host.Length == 0)
            {
                return false;
            }

            builder.Host = host;
        }

        normalized = PercentEscape().Replace(builder.Uri.AbsoluteUri, escape => escape.Value.ToUpperInvariant());
        return true;
    }

    [GeneratedRegex("%[0-9A-Fa-f]{2}", RegexOptions.CultureInvariant)]
    private static partial Regex PercentEscape();
}
