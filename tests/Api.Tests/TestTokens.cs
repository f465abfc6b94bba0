using System.Security.Claims;
using System.Text;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Platform.Api.Tests;

/// <summary>Mints HS256 tokens the way an identity provider would for the Api's tests.</summary>
public static class TestTokens
{
    public const string SigningKey = "tests-signing-key-0123456789-abcdefghijklmnopqrstuvwxyz";
    public const string Issuer = "platform";
    public const string Audience = "platform-api";

    public static string For(Guid userId, bool admin = false, string? subject = null, string signingKey = SigningKey, DateTime? expires = null, DateTime? notBefore = null)
    {
        var claims = new List<Claim> { new("sub", subject ?? userId.ToString()) };
        if (admin)
        {
            claims.Add(new Claim("role", "admin"));
        }

        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Subject = new ClaimsIdentity(claims),
            Issuer = Issuer,
            Audience = Audience,
            NotBefore = notBefore ?? (expires ?? DateTime.UtcNow.AddHours(1)).AddHours(-2),
            Expires = expires ?? DateTime.UtcNow.AddHours(1),
            SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(Encoding.UTF8.GetBytes(signingKey)), SecurityAlgorithms.HmacSha256),
        });
    }
}
