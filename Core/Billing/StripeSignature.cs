using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Platform.Core.Billing;

public enum StripeSignatureResult
{
    Valid,
    MissingHeader,
    MalformedHeader,
    NoMatchingSignature,
    TimestampOutsideTolerance,
}

/// <summary>
/// Verifies a <c>Stripe-Signature</c> header (<c>t=...,v1=...[,v1=...]</c>) the way Stripe signs: HMAC-SHA256 with the
/// endpoint secret over <c>"{t}.{raw body}"</c>, compared in constant time, against every configured secret (rotation),
/// then the timestamp against the tolerance. It works on the raw bytes and does not look at the event's API version,
/// so events forwarded by the Stripe CLI in the account's default version verify too (Stripe.net's
/// <c>EventUtility.ConstructEvent</c> would refuse them unless told not to). The tests sign with Stripe.net's
/// <c>EventUtility.GenerateSignatureHeader</c>.
/// </summary>
public static class StripeSignature
{
    public static StripeSignatureResult Verify(
        ReadOnlySpan<byte> body, string? header, IReadOnlyList<string> secrets, long toleranceSeconds, DateTimeOffset now)
    {
        if (string.IsNullOrWhiteSpace(header))
        {
            return StripeSignatureResult.MissingHeader;
        }

        long? timestamp = null;
        string? timestampText = null;
        var candidates = new List<byte[]>(2);
        foreach (var item in header.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = item.IndexOf('=');
            if (equals <= 0)
            {
                return StripeSignatureResult.MalformedHeader;
            }

            var key = item.AsSpan(0, equals);
            var value = item[(equals + 1)..];
            if (key.SequenceEqual("t"))
            {
                if (timestamp is not null || !long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var t))
                {
                    return StripeSignatureResult.MalformedHeader;
                }

                timestamp = t;
                timestampText = value;
            }
            else if (key.SequenceEqual("v1") && value.Length == 64)
            {
                try
                {
                    candidates.Add(Convert.FromHexString(value));
                }
                catch (FormatException)
                {
                    // not a signature; ignore it like any unknown scheme
                }
            }
        }

        if (timestamp is null || timestampText is null || candidates.Count == 0)
        {
            return StripeSignatureResult.MalformedHeader;
        }

        var prefix = Encoding.ASCII.GetBytes(timestampText + ".");
        Span<byte> expected = stackalloc byte[32];
        var matched = false;
        foreach (var secret in secrets)
        {
            using var hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, Encoding.UTF8.GetBytes(secret));
            hmac.AppendData(prefix);
            hmac.AppendData(body);
            hmac.GetHashAndReset(expected);
            foreach (var candidate in candidates)
            {
                matched |= CryptographicOperations.FixedTimeEquals(expected, candidate);
            }
        }

        if (!matched)
        {
            return StripeSignatureResult.NoMatchingSignature;
        }

        return Math.Abs(now.ToUnixTimeSeconds() - timestamp.Value) > toleranceSeconds
            ? StripeSignatureResult.TimestampOutsideTolerance
            : StripeSignatureResult.Valid;
    }

    public static string Describe(StripeSignatureResult result) => result switch
    {
        StripeSignatureResult.MissingHeader => "The Stripe-Signature header is missing.",
        StripeSignatureResult.MalformedHeader => "The Stripe-Signature header is not of the form t=<unix time>,v1=<hex HMAC-SHA256>.",
        StripeSignatureResult.NoMatchingSignature => "No v1 signature matches the body under the configured webhook secret(s).",
        StripeSignatureResult.TimestampOutsideTolerance => "The signature's timestamp is outside the allowed tolerance (a replayed or delayed request).",
        _ => "The signature is valid.",
    };
}
