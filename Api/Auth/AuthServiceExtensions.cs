using System.Text;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.IdentityModel.Tokens;

namespace Platform.Api.Auth;

public static class AuthServiceExtensions
{
    /// <summary>JWT bearer authentication (OIDC authority, or HS256 with a shared key) and authorization.</summary>
    public static WebApplicationBuilder AddPlatformAuth(this WebApplicationBuilder builder)
    {
        var options = builder.Configuration.GetSection(AuthOptions.Section).Get<AuthOptions>() ?? new AuthOptions();
        builder.Services.Configure<AuthOptions>(builder.Configuration.GetSection(AuthOptions.Section));
        var signingKey = options.SigningKey;
        if (string.IsNullOrWhiteSpace(options.Authority) && (string.IsNullOrWhiteSpace(signingKey) || Encoding.UTF8.GetByteCount(signingKey) < 32))
        {
            // Fail at startup, not with a 500 on every request (the bearer handler is built lazily).
            if (!builder.Environment.IsDevelopment())
            {
                throw new InvalidOperationException("Set Auth:Authority (OIDC) or Auth:SigningKey (at least 32 bytes) outside Development.");
            }

            // Development without a key: a per-process random key, so no token from elsewhere is accepted.
            signingKey = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(48));
        }

        builder.Services
            .AddAuthentication(JwtBearerDefaults.AuthenticationScheme)
            .AddJwtBearer(jwt =>
            {
                jwt.MapInboundClaims = false;
                jwt.TokenValidationParameters = new TokenValidationParameters
                {
                    NameClaimType = "sub",
                    RoleClaimType = "role",
                    ValidIssuer = options.Issuer,
                    ValidAudience = options.Audience,
                    ValidateIssuer = true,
                    ValidateAudience = true,
                    ValidateLifetime = true,
                    ClockSkew = TimeSpan.FromSeconds(30),
                };
                if (!string.IsNullOrWhiteSpace(options.Authority))
                {
                    jwt.Authority = options.Authority;
                }
                else
                {
                    jwt.TokenValidationParameters.IssuerSigningKey = new SymmetricSecurityKey(Encoding.UTF8.GetBytes(signingKey!));
                    jwt.TokenValidationParameters.ValidAlgorithms = [SecurityAlgorithms.HmacSha256];
                }

                // Browsers cannot set headers on WebSocket or EventSource requests: accept ?access_token= there.
                jwt.Events = new JwtBearerEvents
                {
                    OnMessageReceived = context =>
                    {
                        var path = context.HttpContext.Request.Path;
                        if (context.Request.Query.TryGetValue("access_token", out var token)
                            && path.StartsWithSegments("/api/jobs")
                            && (path.Value!.EndsWith("/events", StringComparison.Ordinal) || path.Value.EndsWith("/ws", StringComparison.Ordinal)))
                        {
                            context.Token = token;
                        }

                        return Task.CompletedTask;
                    },
                };
            });
        builder.Services.AddAuthorization();
        return builder;
    }
}
