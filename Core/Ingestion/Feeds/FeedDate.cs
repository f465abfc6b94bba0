using System.Globalization;
using System.Text.RegularExpressions;

namespace Platform.Core.Ingestion.Feeds;

/// <summary>
/// Feed dates in the forms real feeds use: RFC 822/1123 as RSS 2.0 specifies (<c>Wed, 02 Oct 2002 13:00:00 GMT</c>)
/// with the usual liberties (no weekday, no comma, one-digit day or hour, no seconds, two-digit years, a weekday that does
/// not match, named zones such as <c>CEST</c>, <c>PST</c>, <c>IST</c>, <c>+0200</c>, <c>+02:00</c>), and ISO 8601 / RFC 3339 as
/// Atom and Dublin Core use (<c>2002-10-02T13:00:00+02:00</c>, <c>2002-10-02</c>; lowercase t/z, any fraction length,
/// a comma decimal sign, <c>+05</c> and <c>+0530</c> offsets), plus C asctime (<c>Wed Oct  2 13:00:00 2002</c>) and
/// Go's <c>time.String()</c> (<c>2002-10-02 13:00:00.5 +0000 UTC</c>). A date without a zone is UTC.
/// </summary>
public static partial class FeedDate
{
    // Zone abbreviations as feeds write them (RFC 822 §5.1 names plus the common ones; RFC 822's military letters
    // other than Z are ambiguous in practice and are read as unknown). Values are offsets from UTC in minutes.
    private static readonly Dictionary<string, int> Zones = new(StringComparer.OrdinalIgnoreCase)
    {
        ["GMT"] = 0,
        ["UT"] = 0,
        ["UTC"] = 0,
        ["Z"] = 0,
        ["WET"] = 0,
        ["BST"] = 60,
        ["WEST"] = 60,
        ["IST"] = 330, // India, by far the most common meaning in feeds (Irish and Israel Standard Time share it)
        ["CET"] = 60,
        ["MET"] = 60,
        ["CEST"] = 120,
        ["MEST"] = 120,
        ["EET"] = 120,
        ["EEST"] = 180,
        ["MSK"] = 180,
        ["ET"] = -300, // the generic zone names count as standard time, as feedparser reads them
        ["CT"] = -360,
        ["MT"] = -420,
        ["PT"] = -480,
        ["EST"] = -300,
        ["EDT"] = -240,
        ["CST"] = -360,
        ["CDT"] = -300,
        ["MST"] = -420,
        ["MDT"] = -360,
        ["PST"] = -480,
        ["PDT"] = -420,
        ["AKST"] = -540,
        ["AKDT"] = -480,
        ["HST"] = -600,
        ["AST"] = -240,
        ["ADT"] = -180,
        ["NST"] = -210,
        ["NDT"] = -150,
        ["JST"] = 540,
        ["KST"] = 540,
        ["HKT"] = 480,
        ["SGT"] = 480,
        ["AWST"] = 480,
        ["ACST"] = 570,
        ["ACDT"] = 630,
        ["AEST"] = 600,
        ["AEDT"] = 660,
        ["NZST"] = 720,
        ["NZDT"] = 780,
    };

    private static readonly string[] Months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];

    /// <summary>The instant in UTC, or null when the text is empty or no known form.</summary>
    public static DateTimeOffset? Parse(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        var text = value.Trim();
        return Rfc822(text) ?? Iso8601(text);
    }

    private static DateTimeOffset? Rfc822(string text)
    {
        var match = Rfc822Pattern().Match(text);
        if (!match.Success)
        {
            match = AscTimePattern().Match(text);
            if (!match.Success)
            {
                return null;
            }
        }

        var month = Array.IndexOf(Months, match.Groups["month"].Value[..3].ToLowerInvariant()) + 1;
        var year = int.Parse(match.Groups["year"].Value, CultureInfo.InvariantCulture);
        if (match.Groups["year"].Value.Length == 2)
        {
            year += year < 50 ? 2000 : 1900; // RFC 2822 §4.3
        }

        var offset = Offset(match.Groups["zone"].Value);
        if (month == 0 || offset is null)
        {
            return null;
        }

        var second = match.Groups["second"].Success ? int.Parse(match.Groups["second"].Value, CultureInfo.InvariantCulture) : 0;
        try
        {
            return new DateTimeOffset(
                year, month, int.Parse(match.Groups["day"].Value, CultureInfo.InvariantCulture),
                int.Parse(match.Groups["hour"].Value, CultureInfo.InvariantCulture), int.Parse(match.Groups["minute"].Value, CultureInfo.InvariantCulture),
                Math.Min(second, 59), TimeSpan.FromMinutes(offset.Value)).ToUniversalTime();
        }
        catch (ArgumentOutOfRangeException)
        {
            return null; // 31 February, hour 25
        }
    }

    private static int? Offset(string zone)
    {
        if (zone.Length == 0)
        {
            return 0;
        }

        if (zone[0] is '+' or '-')
        {
            var digits = zone[1..].Replace(":", string.Empty, StringComparison.Ordinal);
            if (digits.Length is not (1 or 2 or 4) || !int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var hhmm))
            {
                return null;
            }

            var minutes = digits.Length <= 2 ? hhmm * 60 : (hhmm / 100 * 60) + (hhmm % 100);
            return minutes > 14 * 60 ? null : zone[0] == '-' ? -minutes : minutes;
        }

        var name = zone.StartsWith("GMT", StringComparison.OrdinalIgnoreCase) && zone.Length > 3 ? zone[3..] : zone;
        return name == zone ? Zones.TryGetValue(zone, out var known) ? known : null : Offset(name);
    }

    private static DateTimeOffset? Iso8601(string text)
    {
        string[] formats =
        [
            "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFK", "yyyy-MM-dd'T'HH:mm:ssK", "yyyy-MM-dd'T'HH:mmK", "yyyy-MM-dd HH:mm:ss.FFFFFFFK",
            "yyyy-MM-dd HH:mm:ssK", "yyyy-MM-dd HH:mmK", "yyyy-MM-dd", "yyyyMMdd'T'HHmmssK", "yyyy-MM",
        ];
        var normalized = text.EndsWith(" UTC", StringComparison.OrdinalIgnoreCase) || text.EndsWith(" GMT", StringComparison.OrdinalIgnoreCase)
            ? text[..^4] + "Z"
            : text;
        var iso = IsoPattern().Match(normalized);
        if (iso.Success)
        {
            // RFC 3339 §5.6 allows a lowercase t and z and any number of fraction digits (Go's RFC3339Nano writes 9);
            // ISO 8601 allows a comma as decimal sign and an hour-only offset; Go's time.String() writes
            // "2006-01-02 15:04:05.999999999 -0700 MST". .NET reads at most 7 fraction digits and needs hh:mm.
            var fraction = iso.Groups["fraction"].Success ? "." + iso.Groups["fraction"].Value[..Math.Min(7, iso.Groups["fraction"].Length)] : string.Empty;
            var zone = iso.Groups["zone"].Value;
            zone = zone.Length == 0 ? string.Empty
                : zone is "Z" or "z" ? "Z"
                : zone.Length == 3 ? zone + ":00"
                : zone[..3] + ":" + zone[^2..];
            normalized = $"{iso.Groups["date"].Value}T{iso.Groups["time"].Value}{fraction}{zone}";
        }

        return DateTimeOffset.TryParseExact(normalized, formats, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed)
            ? parsed.ToUniversalTime()
            : null;
    }

    // [weekday[,]] day month year hour:minute[:second] [zone] [(comment)]
    [GeneratedRegex(
        @"^(?:[A-Za-z]{2,9}\.?,?\s*)?(?<day>\d{1,2})(?:\s+|-)(?<month>[A-Za-z]{3,9})\.?(?:\s+|-)(?<year>\d{4}|\d{2}),?\s+(?<hour>\d{1,2}):(?<minute>\d{2})(?::(?<second>\d{2})(?:\.\d+)?)?\s*(?<zone>[A-Za-z]{1,5}(?:[+-]\d{1,2}(?::?\d{2})?)?|[+-]\d{2}:?\d{2})?(?:\s*\([^)]*\))?$",
        RegexOptions.CultureInvariant)]
    private static partial Regex Rfc822Pattern();

    // C asctime / Go's ANSIC and UnixDate: weekday month day hour:minute[:second] [zone] year
    [GeneratedRegex(
        @"^[A-Za-z]{3},?\s+(?<month>[A-Za-z]{3,9})\s+(?<day>\d{1,2})\s+(?<hour>\d{1,2}):(?<minute>\d{2})(?::(?<second>\d{2}))?\s+(?:(?<zone>[A-Za-z]{1,5}|[+-]\d{2}:?\d{2})\s+)?(?<year>\d{4})$",
        RegexOptions.CultureInvariant)]
    private static partial Regex AscTimePattern();

    // date [Tt ] time [.,fraction] [Z | +hh[[:]mm] [zone name]]
    [GeneratedRegex(
        @"^(?<date>\d{4}-\d{2}-\d{2})[Tt ](?<time>\d{2}:\d{2}(?::\d{2})?)(?:[.,](?<fraction>\d+))?\s?(?:(?<zone>[Zz]|[+-]\d{2}(?::?\d{2})?)(?:\s+[A-Za-z]{2,5})?)?$",
        RegexOptions.CultureInvariant)]
    private static partial Regex IsoPattern();
}
