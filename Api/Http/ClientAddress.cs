using System.Net;
using System.Net.Sockets;

namespace Platform.Api.Http;

/// <summary>
/// Who a request comes from, for limits and de-duplication: the remote IPv4 address, or the /64 prefix of an IPv6
/// address (one subscriber usually holds a whole /64, RFC 6177/RFC 7421, so counting single IPv6 addresses would let
/// one client take 2^64 buckets). Behind the ingress the remote address is the one ASP.NET Core's forwarded-headers
/// middleware trusted.
/// </summary>
public static class ClientAddress
{
    /// <summary>A stable key such as <c>203.0.113.7</c> or <c>2001:db8:1:2::/64</c>; <c>unknown</c> without an address.</summary>
    public static string Key(HttpContext context) => Key(context.Connection.RemoteIpAddress);

    public static string Key(IPAddress? address)
    {
        if (address is null)
        {
            return "unknown";
        }

        if (address.IsIPv4MappedToIPv6)
        {
            return address.MapToIPv4().ToString();
        }

        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return address.ToString();
        }

        var bytes = address.GetAddressBytes();
        Array.Clear(bytes, 8, 8);
        return new IPAddress(bytes) + "/64";
    }
}
