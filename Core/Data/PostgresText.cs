using System.Globalization;
using System.Text;

namespace Platform.Core.Data;

/// <summary>
/// The one place where text from outside (request bodies, feeds, YouTube, Stripe, remote error bodies) is made
/// storable by PostgreSQL before it is written.
/// </summary>
/// <remarks>
/// PostgreSQL's <c>text</c>/<c>varchar</c> cannot hold U+0000 (SQLSTATE 22021 for text, 22P05 for a <c>\u0000</c>
/// escape in <c>jsonb</c>), and a UTF-8 database cannot hold an unpaired UTF-16 surrogate (Npgsql's encoder throws
/// <see cref="EncoderFallbackException"/>). <c>varchar(n)</c> counts characters (code points); cutting a string at
/// a UTF-16 index can split a surrogate pair or a grapheme (emoji with modifiers, a letter with combining marks),
/// so every cut here is at a text-element boundary (UAX #29 extended grapheme clusters, <see cref="StringInfo"/>).
/// </remarks>
public static class PostgresText
{
    /// <summary>
    /// Removes U+0000 and replaces unpaired surrogates with U+FFFD. Returns the same instance when nothing needs
    /// cleaning (the common case allocates nothing). <c>null</c> stays <c>null</c>.
    /// </summary>
    public static string? Clean(string? text)
    {
        if (text is null || IsStorable(text))
        {
            return text;
        }

        var builder = new StringBuilder(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '\0')
            {
                continue;
            }

            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                builder.Append(c).Append(text[i + 1]);
                i++;
            }
            else if (char.IsSurrogate(c))
            {
                builder.Append('\uFFFD');
            }
            else
            {
                builder.Append(c);
            }
        }

        return builder.ToString();
    }

    /// <summary>True when <paramref name="text"/> has no U+0000 and no unpaired surrogate.</summary>
    public static bool IsStorable(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '\0')
            {
                return false;
            }

            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(c))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// <see cref="Clean"/>, then cut to at most <paramref name="maxLength"/> UTF-16 code units (so also at most that
    /// many code points, what <c>varchar(n)</c> counts) at the last text-element boundary that fits, with
    /// <paramref name="ellipsis"/> appended when something was cut (the ellipsis counts towards the limit).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxLength"/> is not above the ellipsis length.</exception>
    public static string? Truncate(string? text, int maxLength, string ellipsis = "")
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(maxLength, ellipsis.Length);
        var clean = Clean(text);
        if (clean is null || clean.Length <= maxLength)
        {
            return clean;
        }

        var budget = maxLength - ellipsis.Length;
        var cut = 0;
        var enumerator = StringInfo.GetTextElementEnumerator(clean);
        while (enumerator.MoveNext())
        {
            var end = enumerator.ElementIndex + ((string)enumerator.Current).Length;
            if (end > budget)
            {
                break;
            }

            cut = end;
        }

        return clean[..cut].TrimEnd() + ellipsis;
    }
}
