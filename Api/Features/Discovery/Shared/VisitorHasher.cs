using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using Platform.Api.Http;

namespace Platform.Api.Features.Discovery.Shared;

/// <summary>
/// The visitor signal stored with a click instead of its IP: HMAC-SHA256(salt, client address), 16 bytes, where the
/// client address is an IPv4 address or an IPv6 /64 (<see cref="ClientAddress"/>). The User-Agent is not part of it:
/// a client rotating its User-Agent (or its address within its /64) is still one visitor per item and window. Without
/// the salt the hash cannot be reversed by enumerating the IPv4 space.
/// </summary>
public sealed class VisitorHasher
{
    private readonly byte[] salt;

    public VisitorHasher(IOptions<DiscoveryOptions> options, ILogger<VisitorHasher> logger)
    {
        var configured = options.Value.VisitorHashSalt;
        if (string.IsNullOrEmpty(configured))
        {
            logger.LogWarning("Discovery:VisitorHashSalt is not set: using a random salt, so click deduplication only holds within this process");
            salt = RandomNumberGenerator.GetBytes(32);
        }
        else
        {
            salt = Encoding.UTF8.GetBytes(configured);
        }
    }

    public byte[] Hash(HttpContext context)
    {
        return HMACSHA256.HashData(salt, Encoding.UTF8.GetBytes(ClientAddress.Key(context)))[..16];
    }
}
