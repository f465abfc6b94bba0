using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.IdentityModel.Tokens;

namespace Platform.Api.Auth;

/// <summary>
/// JWT bearer authentication (HS256) from <c>Auth:SigningKey</c>, <c>Auth:Issuer</c>, <c>Auth:Audience</c>; claims
/// <c>sub</c> (user id) and <c>role</c> (<c>admin</c> for admins) are kept as issued. Minimal on purpose: the job
/// queue branch brings the full setup and this is reconciled with it at merge.
/// </summary>
public static class AuthServiceExtensions
{
    public static WebApplicationBuilder AddPlatformAuth(this WebApplicationBuilder builder)
    {
        var section = builder.Configuration.GetSection("Auth");
        var key = section["SigningKey"];
        byte[] keyBytes;
        if (string.IsNullOrEmpty(key))
        {
            // No key configured: no token can validate, so every [Roles] endpoint answers 401; public ones are unaffected.
            keyBytes = RandomNumberGenerator.GetBytes(32);
        }
        else
        {
            keyBytes = Encoding.UTF8.GetBytes(key);
        }

        builder.Services
            .AddAuthentication(JwtBearerDefaults.AuthenticationScheme)
            .AddJwtBearer(options =>
            {
                options.MapInboundClaims = false;
                options.TokenValidationParameters = new TokenValidationParameters
                {
                    ValidateIssuerSigningKey = true,
                    IssuerSigningKey = new SymmetricSecurityKey(keyBytes),
                    ValidAlgorithms = [SecurityAlgorithms.HmacSha256],
                    ValidateIssuer = !string.IsNullOrEmpty(section["Issuer"]),
                    ValidIssuer = section["Issuer"],
                    ValidateAudience = !string.IsNullOrEmpty(section["Audience"]),
                    ValidAudience = section["Audience"],
                    NameClaimType = "sub",
                    RoleClaimType = "role",
                    ClockSkew = TimeSpan.FromSeconds(30),
                };
            });
        builder.Services.AddAuthorization();
        return builder;
    }
}
