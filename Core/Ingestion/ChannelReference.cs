using System.Diagnostics.CodeAnalysis;
using System.Text;
using Platform.Core.Data;
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

        if (text.StartsWith('@') || text.StartsWith("%40", StringComparison.OrdinalIgnoreCase))
        {
            return TryHandle(text[(text[0] == '@' ? 1 : 3)..], out reference);
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
            return TryHandle(segments[0][1..], out reference);
        }

        if (segments.Length >= 2 && segments[0] == "channel" && ChannelIdPattern().IsMatch(segments[1]))
        {
            reference = new ChannelReference(segments[1], null);
            return true;
        }

        return false;
    }

    /// <summary>
    /// A handle as YouTube accepts it (support.google.com/youtube/answer/11585688): 3-30 characters (Unicode scalar
    /// values) of letters and marks of any script, digits, underscores, hyphens, periods and middle dots (U+00B7), as
    /// typed or percent-encoded (UTF-8), in Unicode NFC and lowercase (handles are case-insensitive).
    /// </summary>
    private static bool TryHandle(string name, [NotNullWhen(true)] out ChannelReference? reference)
    {
        reference = null;
        string decoded;
        try
        {
            decoded = Uri.UnescapeDataString(name);
        }
        catch (UriFormatException)
        {
            return false;
        }

        if (decoded.Contains('%') || !PostgresText.IsStorable(decoded))
        {
            return false;
        }

        var handle = decoded.Normalize(NormalizationForm.FormC).ToLowerInvariant();
        var length = handle.EnumerateRunes().Count();
        if (length is < 3 or > 30 || !HandlePattern().IsMatch(handle))
        {
            return false;
        }

        reference = new ChannelReference(null, "@" + handle);
        return true;
    }

    [GeneratedRegex("^UC[A-Za-z0-9_-]{22}$")]
    private static partial Regex ChannelIdPattern();

    // Letters and marks of any script, decimal digits, '_', '-', '.', U+00B7 middle dot.
    [GeneratedRegex(@"\A[\p{L}\p{M}\p{Nd}_.\-\u00B7]+\z")]
    private static partial Regex HandlePattern();
}
