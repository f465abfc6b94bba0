using System.Text;
using System.Text.RegularExpressions;

namespace Platform.Core.Ingestion.Feeds;

/// <summary>The feed names an encoding this runtime cannot decode: no later attempt can do better.</summary>
public sealed class FeedEncodingException(string message) : Exception(message);

/// <summary>
/// Decodes a feed's bytes as browsers and feed readers do: a byte order mark first, then the XML declaration's
/// <c>encoding</c>, then the HTTP <c>charset</c>, then UTF-8. Labels follow the WHATWG Encoding Standard, so
/// <c>ISO-8859-1</c>, <c>latin1</c> and <c>US-ASCII</c> decode as windows-1252 (what every browser does); the code-page
/// encodings (windows-1250…1258, KOI8-R, Shift_JIS, GB2312…) come from <see cref="CodePagesEncodingProvider"/>.
/// Malformed byte sequences become U+FFFD, as in browsers.
/// </summary>
public static partial class FeedEncoding
{
    static FeedEncoding() => Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);

    /// <summary>The document as text, and the name of the encoding it was read with.</summary>
    /// <exception cref="FeedEncodingException">The declaration or the header names an encoding that does not exist here.</exception>
    public static (string Text, string EncodingName) Decode(ReadOnlySpan<byte> body, string? httpCharset)
    {
        var (encoding, bom) = FromByteOrderMark(body);
        if (encoding is null)
        {
            var declared = Declared(body);
            encoding = declared is not null ? Resolve(declared, "its XML declaration") : null;
            encoding ??= httpCharset is { Length: > 0 } charset ? Resolve(charset.Trim().Trim('"', '\''), "the HTTP Content-Type charset") : null;
            encoding ??= Utf8;
        }

        return (encoding.GetString(body[bom..]), encoding.WebName);
    }

    private static readonly Encoding Utf8 = new UTF8Encoding(false, false);

    private static (Encoding? Encoding, int Length) FromByteOrderMark(ReadOnlySpan<byte> body) => body switch
    {
        [0xEF, 0xBB, 0xBF, ..] => (Utf8, 3),
        [0xFF, 0xFE, 0x00, 0x00, ..] => (new UTF32Encoding(false, false), 4),
        [0x00, 0x00, 0xFE, 0xFF, ..] => (new UTF32Encoding(true, false), 4),
        [0xFF, 0xFE, ..] => (new UnicodeEncoding(false, false), 2),
        [0xFE, 0xFF, ..] => (new UnicodeEncoding(true, false), 2),
        // No BOM but UTF-16 by its first character ('<' as 3C 00 / 00 3C), as XML 1.0 appendix F describes.
        [0x3C, 0x00, 0x3F, 0x00, ..] => (new UnicodeEncoding(false, false), 0),
        [0x00, 0x3C, 0x00, 0x3F, ..] => (new UnicodeEncoding(true, false), 0),
        _ => (null, 0),
    };

    /// <summary>The <c>encoding</c> pseudo-attribute of an ASCII-compatible XML declaration, if any.</summary>
    private static string? Declared(ReadOnlySpan<byte> body)
    {
        var head = Encoding.Latin1.GetString(body[..Math.Min(body.Length, 512)]);
        var match = Declaration().Match(head);
        return match.Success ? match.Groups["name"].Value : null;
    }

    private static Encoding Resolve(string label, string source)
    {
        var name = label.Trim().ToLowerInvariant() switch
        {
            // WHATWG Encoding Standard: these labels all mean windows-1252.
            "iso-8859-1" or "iso8859-1" or "iso_8859-1" or "latin1" or "l1" or "us-ascii" or "ascii" or "ansi_x3.4-1968"
                or "cp1252" or "cp819" or "ibm819" or "iso-ir-100" or "x-cp1252" => "windows-1252",
            "utf8" or "unicode-1-1-utf-8" => "utf-8",
            // A declaration of UTF-16 in a document without a BOM that reached here is ASCII-compatible: UTF-8.
            "utf-16" or "utf-16le" or "utf-16be" or "unicode" => "utf-8",
            var other => other,
        };
        try
        {
            var encoding = Encoding.GetEncoding(name, EncoderFallback.ReplacementFallback, DecoderFallback.ReplacementFallback);
            return encoding.CodePage == Encoding.UTF8.CodePage ? Utf8 : encoding;
        }
        catch (ArgumentException)
        {
            throw new FeedEncodingException(
                $"The feed declares the character encoding '{label}' in {source}, which is not a known encoding; the feed cannot be decoded.");
        }
    }

    [GeneratedRegex("""^\s*<\?xml\s[^>]*?encoding\s*=\s*["'](?<name>[A-Za-z0-9._:-]{1,64})["']""", RegexOptions.CultureInvariant)]
    private static partial Regex Declaration();
}
