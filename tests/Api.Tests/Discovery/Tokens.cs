using System.Security.Claims;
using System.Text;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Platform.Api.Tests.Discovery;

/// <summary>HS256 tokens as the platform issues them: sub = user id, role = admin | user.</summary>
public static class Tokens
{
    public static string Create(string role, string signingKey = DiscoveryHost.SigningKey) => new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
    {
        Subject = new ClaimsIdentity([new Claim("sub", Guid.NewGuid().ToString()), new Claim("role", role)]),
        Issuer = DiscoveryHost.Issuer,
        Audience = DiscoveryHost.Audience,
        Expires = DateTime.UtcNow.AddMinutes(10),
        SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(Encoding.UTF8.GetBytes(signingKey)), SecurityAlgorithms.HmacSha256),
    });
}
