using System.Diagnostics.CodeAnalysis;

namespace Platform.Core.Ingestion;

/// <summary>An RSS/Atom feed address: an absolute http(s) URL without credentials or fragment.</summary>
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

    /// <summary>
    /// The spellings of one normalized feed address (<see cref="TryNormalize"/>) that name the same feed: http and https,
    /// with and without a trailing slash on the path (the address itself first). Used where a source must have one
    /// owner (the connect-time 409 for a feed another user verified), so <c>http://host/feed/</c> cannot slip past a
    /// verified <c>https://host/feed</c>. Host and scheme are already lower case in a normalized address; the path's case
    /// is kept (paths are case-sensitive).
    /// </summary>
    public static IReadOnlyList<string> Spellings(string normalized)
    {
        var uri = new Uri(normalized);
        var path = uri.AbsolutePath;
        string[] paths = path == "/" ? ["/"] : [path, path.EndsWith('/') ? path.TrimEnd('/') : path + "/"];
        var spellings = new List<string> { normalized };
        foreach (var scheme in new[] { "https", "http" })
        {
            foreach (var each in paths)
            {
                var spelling = $"{scheme}://{uri.Authority}{each}{uri.Query}";
                if (!spellings.Contains(spelling))
                {
                    spellings.Add(spelling);
                }
            }
        }

        return spellings;
    }
}
