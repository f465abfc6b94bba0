using System.Net;
using System.Net.Sockets;

namespace Platform.Core.Ingestion;

/// <summary>
/// A user-supplied URL that will never be fetched, whatever the retry: a private, loopback, link-local or reserved
/// address, a port other than 80/443 (unless <see cref="IngestionOptions.AllowedPorts"/> lists it), a host name that
/// does not resolve, or a scheme other than http(s). <see cref="Exception.Message"/> is safe to show to the user (no
/// address, port or host); <see cref="Detail"/> is for logs.
/// </summary>
public sealed class RefusedUrlException(string message, string detail, Exception? inner = null) : Exception(message, inner)
{
    public string Detail { get; } = detail;

    /// <summary>The refusal behind an <see cref="HttpRequestException"/> (a connect callback's exception is wrapped), if any.</summary>
    public static RefusedUrlException? Find(Exception? error)
    {
        for (; error is not null; error = error.InnerException)
        {
            if (error is RefusedUrlException refused)
            {
                return refused;
            }
        }

        return null;
    }

    /// <summary>Refuses a URL whose scheme is not http or https (before any request is made).</summary>
    public static void ThrowIfNotHttp(Uri url)
    {
        if (!url.IsAbsoluteUri || url.Scheme is not ("http" or "https"))
        {
            throw new RefusedUrlException("refused: only http and https addresses can be fetched.", $"scheme of {url}");
        }
    }
}

/// <summary>
/// The HTTP handler for URLs that come from users and third parties (feeds, media): every connection, redirects
/// included, goes only to public addresses on ports 80/443 unless <see cref="IngestionOptions.AllowPrivateNetworks"/> is
/// set, so a feed URL cannot make the Workers call into our own network (cloud metadata, Postgres, Redis). No proxy is
/// used (the environment's proxy would be a way around the address check); the clients that use it add no service
/// discovery and no retry handler (see <see cref="Feeds.FeedClientRegistration"/>): a refusal is final at once.
/// </summary>
public static class SafeHttpHandler
{
    public static SocketsHttpHandler Create(IngestionOptions options) => new()
    {
        UseProxy = false,
        AllowAutoRedirect = true,
        MaxAutomaticRedirections = 5,
        AutomaticDecompression = DecompressionMethods.All,
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        ConnectTimeout = TimeSpan.FromSeconds(10),
        ConnectCallback = async (context, cancellationToken) =>
        {
            var host = context.DnsEndPoint.Host;
            var port = context.DnsEndPoint.Port;
            if (!options.AllowPrivateNetworks && port is not (80 or 443) && !options.AllowedPorts.Contains(port))
            {
                throw new RefusedUrlException("refused: only the standard ports 80 and 443 can be fetched.", $"{host}:{port} is not an allowed port");
            }

            IPAddress[] addresses;
            try
            {
                addresses = await Dns.GetHostAddressesAsync(host, cancellationToken);
            }
            catch (SocketException error) when (error.SocketErrorCode is SocketError.HostNotFound or SocketError.NoData)
            {
                throw new RefusedUrlException("refused: the host name does not exist.", $"{host} does not resolve: {error.Message}", error);
            }

            var allowed = addresses.Where(a => options.AllowPrivateNetworks || IsPublic(a)).ToArray();
            if (allowed.Length == 0)
            {
                throw new RefusedUrlException(
                    "refused: the host is not a public address.", $"{host} resolves to {string.Join(", ", addresses.Select(a => a.ToString()))}");
            }

            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(allowed, port, cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        },
    };

    /// <summary>
    /// Whether an address is globally reachable: not in any special-purpose block of the IANA IPv4 and IPv6
    /// Special-Purpose Address Registries (RFC 6890) that is not global, nor a form that embeds an IPv4 address
    /// (IPv4-mapped <c>::ffff:0:0/96</c>, IPv4-compatible <c>::/96</c>, NAT64 <c>64:ff9b::/96</c> and
    /// <c>64:ff9b:1::/48</c>, 6to4 <c>2002::/16</c>, Teredo <c>2001::/32</c>), since those reach IPv4 hosts the
    /// IPv4 rule would refuse.
    /// </summary>
    public static bool IsPublic(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        var b = address.GetAddressBytes();
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            return !(b[0] == 0 || b[0] == 10 || b[0] == 127 || b[0] >= 224 // this network, private, loopback, multicast + reserved + broadcast
                || (b[0] == 169 && b[1] == 254) // link-local
                || (b[0] == 172 && b[1] >= 16 && b[1] <= 31)
                || (b[0] == 192 && b[1] == 168)
                || (b[0] == 100 && b[1] >= 64 && b[1] <= 127) // shared address space (CGN)
                || (b[0] == 192 && b[1] == 0 && b[2] is 0 or 2) // IETF protocol assignments, TEST-NET-1
                || (b[0] == 192 && b[1] == 88 && b[2] == 99) // 6to4 relay anycast
                || (b[0] == 198 && b[1] is 18 or 19) // benchmarking 198.18.0.0/15
                || (b[0] == 198 && b[1] == 51 && b[2] == 100) // TEST-NET-2
                || (b[0] == 203 && b[1] == 0 && b[2] == 113)); // TEST-NET-3
        }

        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return false;
        }

        // ::/96 holds the unspecified address, loopback and the deprecated IPv4-compatible form ::a.b.c.d.
        if (b.AsSpan(0, 12).IndexOfAnyExcept((byte)0) < 0)
        {
            return false;
        }

        var first16 = (b[0] << 8) | b[1];
        return !(address.IsIPv6LinkLocal || address.IsIPv6SiteLocal || address.IsIPv6Multicast
            || (b[0] & 0xfe) == 0xfc // fc00::/7 unique local
            || first16 == 0x2002 // 6to4
            || (first16 == 0x0064 && b[2] == 0xff && b[3] == 0x9b) // NAT64 64:ff9b::/96 and local-use 64:ff9b:1::/48
            || (first16 == 0x2001 && b[2] == 0 && b[3] == 0) // Teredo 2001::/32
            || (first16 == 0x2001 && b[2] == 0x0d && b[3] == 0xb8) // documentation 2001:db8::/32
            || (first16 == 0x0100 && b.AsSpan(2, 6).IndexOfAnyExcept((byte)0) < 0)); // discard-only 100::/64
    }
}
