using System.Buffers;
using System.Globalization;
using System.Numerics;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

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
/// JSON text carries the same characters as escapes (<c>\u0000</c>, <c>\ud800</c>), which <c>jsonb</c> refuses with
/// 22P05 ("unsupported Unicode escape sequence"): <see cref="CleanJson"/> and <see cref="FindUnstorableJsonString"/>
/// read those escapes (RFC 8259 section 7) as PostgreSQL would, and JSON numbers as <c>jsonb</c>'s <c>numeric</c>
/// does (<see cref="IsStorableJsonNumber"/>).
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

    /// <summary>
    /// JSON text that <c>jsonb</c> can store: every string value and property name goes through <see cref="Clean"/>
    /// (<c>\u0000</c> escapes removed, unpaired <c>\uD800</c>-<c>\uDFFF</c> escapes become U+FFFD), and a number
    /// <c>jsonb</c> cannot hold (<see cref="IsStorableJsonNumber"/>: <c>1e1000000</c>) becomes a string of the number as
    /// written (<c>"1e1000000"</c>), so the value is kept, readable, instead of the whole document refused with SQLSTATE
    /// 22003. Everything else (structure, other numbers as written, member order) is kept. Returns the same instance when
    /// nothing needs cleaning. Text that is not JSON is returned cleaned as text (its parser will refuse it, not this method).
    /// For what others send (Stripe events, a model's answer, job results); a client's own request body with such
    /// values is refused instead (<see cref="FindUnstorableJsonString"/>).
    /// </summary>
    public static string? CleanJson(string? json)
    {
        var text = Clean(json);
        if (text is null || (!text.Contains("\\u", StringComparison.Ordinal) && !MayHoldUnstorableNumber(text.AsSpan())))
        {
            return text; // once the text itself is clean, only an escape can carry U+0000 or an unpaired surrogate
        }

        var utf8 = Encoding.UTF8.GetBytes(text);
        try
        {
            if (FindUnstorableJsonString(utf8) is null)
            {
                return text;
            }

            var buffer = new ArrayBufferWriter<byte>(utf8.Length);
            using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, SkipValidation = true }))
            {
                var reader = new Utf8JsonReader(utf8, ReaderOptions);
                while (reader.Read())
                {
                    switch (reader.TokenType)
                    {
                        case JsonTokenType.StartObject: writer.WriteStartObject(); break;
                        case JsonTokenType.EndObject: writer.WriteEndObject(); break;
                        case JsonTokenType.StartArray: writer.WriteStartArray(); break;
                        case JsonTokenType.EndArray: writer.WriteEndArray(); break;
                        case JsonTokenType.PropertyName: writer.WritePropertyName(Clean(ReadString(ref reader))!); break;
                        case JsonTokenType.String: writer.WriteStringValue(Clean(ReadString(ref reader))); break;
                        case JsonTokenType.Number when !IsStorableJsonNumber(reader.ValueSpan): writer.WriteStringValue(reader.ValueSpan); break;
                        default: writer.WriteRawValue(reader.ValueSpan, skipInputValidation: true); break; // numbers, true, false, null
                    }
                }
            }

            return Encoding.UTF8.GetString(buffer.WrittenSpan);
        }
        catch (JsonException)
        {
            return text;
        }
    }

    /// <summary>
    /// The path (<c>payload.items[2].note</c>, property names as written) of the first string value or property name
    /// in <paramref name="utf8Json"/> that PostgreSQL cannot store (see <see cref="IsStorable"/>; also bytes that are
    /// not UTF-8), or of the first number <c>jsonb</c> cannot hold (<see cref="IsStorableJsonNumber"/>), or null when
    /// there is none.
    /// </summary>
    /// <exception cref="JsonException">The text is not JSON.</exception>
    public static string? FindUnstorableJsonString(ReadOnlySpan<byte> utf8Json)
    {
        var reader = new Utf8JsonReader(utf8Json, ReaderOptions);
        var containers = new List<(string? Segment, bool IsArray, int Count)>();
        string? property = null;
        while (reader.Read())
        {
            if (reader.TokenType is JsonTokenType.EndObject or JsonTokenType.EndArray)
            {
                containers.RemoveAt(containers.Count - 1);
                continue;
            }

            if (reader.TokenType == JsonTokenType.PropertyName)
            {
                property = ReadString(ref reader);
                if (!IsValidUtf8(ref reader) || !IsStorable(property))
                {
                    return PathOf(containers, property);
                }

                continue;
            }

            // A value: named by its property, or by its index in the enclosing array.
            var segment = property;
            property = null;
            if (containers.Count > 0 && containers[^1].IsArray)
            {
                var (name, isArray, count) = containers[^1];
                containers[^1] = (name, isArray, count + 1);
                segment = $"[{count}]";
            }

            if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray)
            {
                containers.Add((segment, reader.TokenType == JsonTokenType.StartArray, 0));
            }
            else if (reader.TokenType == JsonTokenType.String
                     && (!IsValidUtf8(ref reader) || (reader.ValueIsEscaped && !IsStorable(ReadString(ref reader)))))
            {
                return PathOf(containers, segment);
            }
            else if (reader.TokenType == JsonTokenType.Number && !IsStorableJsonNumber(reader.ValueSpan))
            {
                return PathOf(containers, segment);
            }
        }

        return null;

        static string PathOf(List<(string? Segment, bool IsArray, int Count)> containers, string? last)
        {
            var path = new StringBuilder();
            foreach (var segment in containers.Select(c => c.Segment).Append(last))
            {
                if (segment is null)
                {
                    continue;
                }

                if (path.Length > 0 && !segment.StartsWith('['))
                {
                    path.Append('.');
                }

                path.Append(Clean(segment));
            }

            return path.Length == 0 ? "$" : path.ToString();
        }
    }

    /// <summary>
    /// False when <paramref name="utf8Json"/> certainly holds nothing <see cref="FindUnstorableJsonString"/> would name
    /// (no <c>\u</c> escape, valid UTF-8, no number with an exponent, too short for a fraction of more than
    /// <see cref="NumericMaxScale"/> digits), so the common request body is not parsed twice; true when it may.
    /// </summary>
    public static bool MayHoldUnstorableJson(ReadOnlySpan<byte> utf8Json) =>
        utf8Json.IndexOf("\\u"u8) >= 0 || !System.Text.Unicode.Utf8.IsValid(utf8Json) || MayHoldUnstorableNumber(utf8Json);

    /// <summary>
    /// False when no number in <paramref name="json"/> (UTF-8 bytes or UTF-16 text) can be beyond <c>numeric</c>: too
    /// short for more than <see cref="NumericMaxScale"/> digits after the point, and no exponent (a digit followed by e
    /// or E; also found in strings such as "2e", which only costs a full read).
    /// </summary>
    private static bool MayHoldUnstorableNumber<T>(ReadOnlySpan<T> json)
        where T : IBinaryInteger<T>
    {
        if (json.Length > NumericMaxScale)
        {
            return true;
        }

        T lower = T.CreateTruncating('e'), upper = T.CreateTruncating('E'), zero = T.CreateTruncating('0'), nine = T.CreateTruncating('9');
        var offset = 0;
        int found;
        while ((found = json[offset..].IndexOfAny(lower, upper)) >= 0)
        {
            offset += found + 1;
            if (offset > 1 && json[offset - 2] >= zero && json[offset - 2] <= nine)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The most digits after the decimal point PostgreSQL's <c>numeric</c> holds (<c>NUMERIC_DSCALE_MAX</c>).</summary>
    public const int NumericMaxScale = 16383;

    /// <summary>The highest power of ten of a digit PostgreSQL's <c>numeric</c> holds (131,072 digits before the point).</summary>
    public const int NumericMaxExponent = 131071;

    /// <summary>
    /// Whether <c>jsonb</c> can hold the JSON number <paramref name="number"/> (RFC 8259 section 6, as the reader
    /// validated it): <c>jsonb</c> stores numbers as <c>numeric</c>, which refuses, with SQLSTATE 22003 ("value overflows
    /// numeric format"), a number written with more than <see cref="NumericMaxScale"/> digits after the decimal point
    /// (counting those an exponent moves there: <c>1e-16384</c>, <c>0.0e-16383</c>), one whose first significant digit
    /// stands above 10^<see cref="NumericMaxExponent"/> (<c>1e131072</c>), and any exponent from ±1,073,741,823 on
    /// (PostgreSQL's <c>numeric.c</c>, <c>set_var_from_str</c> and <c>make_result</c>).
    /// </summary>
    public static bool IsStorableJsonNumber(ReadOnlySpan<byte> number)
    {
        var i = number.Length > 0 && number[0] == '-' ? 1 : 0;
        var start = i;
        while (i < number.Length && char.IsAsciiDigit((char)number[i]))
        {
            i++;
        }

        var integer = number[start..i];
        var fraction = ReadOnlySpan<byte>.Empty;
        if (i < number.Length && number[i] == '.')
        {
            start = ++i;
            while (i < number.Length && char.IsAsciiDigit((char)number[i]))
            {
                i++;
            }

            fraction = number[start..i];
        }

        const long MaxExponent = int.MaxValue / 2;
        long exponent = 0;
        if (i < number.Length && (number[i] | 0x20) == 'e')
        {
            var negative = number[++i] == '-';
            i += number[i] is (byte)'-' or (byte)'+' ? 1 : 0;
            for (; i < number.Length; i++)
            {
                exponent = exponent >= MaxExponent ? exponent : (exponent * 10) + (number[i] - '0');
            }

            if (exponent >= MaxExponent)
            {
                return false;
            }

            exponent = negative ? -exponent : exponent;
        }

        if (fraction.Length - exponent > NumericMaxScale)
        {
            return false;
        }

        var significant = integer.IndexOfAnyExcept((byte)'0');
        if (significant >= 0)
        {
            return integer.Length - significant - 1 + exponent <= NumericMaxExponent;
        }

        significant = fraction.IndexOfAnyExcept((byte)'0');
        return significant < 0 || -(significant + 1) + exponent <= NumericMaxExponent;
    }

    private static readonly JsonReaderOptions ReaderOptions = new() { MaxDepth = 256 };

    /// <summary>
    /// The token's bytes are UTF-8 (Utf8JsonReader does not check; PostgreSQL refuses anything else with 22021, and
    /// CESU-8, a surrogate encoded on its own, is the usual offender).
    /// </summary>
    private static bool IsValidUtf8(ref Utf8JsonReader reader) =>
        System.Text.Unicode.Utf8.IsValid(reader.HasValueSequence ? reader.ValueSequence.ToArray() : reader.ValueSpan);

    /// <summary>
    /// The current string token decoded per RFC 8259 section 7, keeping unpaired surrogate escapes as the UTF-16 code
    /// units they name (System.Text.Json's <c>GetString</c> throws on those, which is what this must see).
    /// </summary>
    private static string ReadString(ref Utf8JsonReader reader)
    {
        var raw = reader.HasValueSequence ? reader.ValueSequence.ToArray() : reader.ValueSpan;
        if (!reader.ValueIsEscaped)
        {
            return Encoding.UTF8.GetString(raw);
        }

        var text = new StringBuilder(raw.Length);
        var start = 0;
        for (var i = 0; i < raw.Length; i++)
        {
            if (raw[i] != (byte)'\\')
            {
                continue;
            }

            text.Append(Encoding.UTF8.GetString(raw[start..i]));
            var kind = (char)raw[++i];
            if (kind == 'u')
            {
                text.Append((char)int.Parse(Encoding.ASCII.GetString(raw.Slice(i + 1, 4)), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture));
                i += 4;
            }
            else
            {
                text.Append(kind switch { 'b' => '\b', 'f' => '\f', 'n' => '\n', 'r' => '\r', 't' => '\t', _ => kind });
            }

            start = i + 1;
        }

        return text.Append(Encoding.UTF8.GetString(raw[start..])).ToString();
    }
}
