using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace Platform.Api.Features.Discovery.Shared;

/// <summary>
/// The visitor signal stored with a click instead of its IP: HMAC-SHA256(salt, IP | User-Agent), 16 bytes. Without
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
        var ip = context.Connection.RemoteIpAddress?.ToString() ?? string.Empty;
        var agent = context.Request.Headers.UserAgent.ToString();
        var input = Encoding.UTF8.GetBytes(ip + "|" + (agent.Length > 512 ? agent[..512] : agent));
        return HMACSHA256.HashData(salt, input)[..16];
    }
}
