using System.Diagnostics.CodeAnalysis;
using System.Text.RegularExpressions;

namespace Platform.Core.Ingestion;

/// <summary>
/// A YouTube channel as a user names it: a channel id (<c>UC</c> + 22 characters), a handle (<c>@name</c>), or a
/// channel URL (<c>youtube.com/channel/UC…</c>, <c>youtube.com/@name</c>, with or without scheme, <c>www.</c>, <c>m.</c>
/// or a trailing tab such as <c>/videos</c>).
/// </summary>
public sealed partial record ChannelReference(string? ChannelId, string? Handle)
{
    /// <summary>What <c>platform_account.external_id</c> holds until the sync resolves a handle to its channel id.</summary>
    public string ExternalId => ChannelId ?? Handle!;

    public static bool IsChannelId(string value) => ChannelIdPattern().IsMatch(value);

    public static bool TryParse(string? input, [NotNullWhen(true)] out ChannelReference? reference)
    {
        reference = null;
        var text = input?.Trim();
        if (string.IsNullOrEmpty(text) || text.Length > 300)
        {
            return false;
        }

        if (ChannelIdPattern().IsMatch(text))
        {
            reference = new ChannelReference(text, null);
            return true;
        }

        if (text.StartsWith('@'))
        {
            return TryHandle(text[1..], out reference);
        }

        var url = text.Contains("://", StringComparison.Ordinal) ? text : "https://" + text;
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri)
            || uri.Scheme is not ("http" or "https")
            || uri.Host.ToLowerInvariant() is not ("youtube.com" or "www.youtube.com" or "m.youtube.com"))
        {
            return false;
        }

        var segments = uri.AbsolutePath.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (segments.Length >= 1 && segments[0].StartsWith('@'))
        {
            return TryHandle(Uri.UnescapeDataString(segments[0][1..]), out reference);
        }

        if (segments.Length >= 2 && segments[0] == "channel" && ChannelIdPattern().IsMatch(segments[1]))
        {
            reference = new ChannelReference(segments[1], null);
            return true;
        }

        return false;
    }

    private static bool TryHandle(string name, [NotNullWhen(true)] out ChannelReference? reference)
    {
        // YouTube handles: 3-30 characters of letters, digits, '_', '-', '.'.
        reference = HandlePattern().IsMatch(name) ? new ChannelReference(null, "@" + name.ToLowerInvariant()) : null;
        return reference is not null;
    }

    [GeneratedRegex("^UC[A-Za-z0-9_-]{22}$")]
    private static partial Regex ChannelIdPattern();

    [GeneratedRegex(@"^[\p{L}\p{N}_.-]{3,30}$")]
    private static partial Regex HandlePattern();
}
