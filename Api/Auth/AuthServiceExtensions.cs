using System.Security.Claims;
using System.Text;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Platform.Api.Auth;

public static class AuthServiceExtensions
{
    /// <summary>The platform's own HS256 issuer (<see cref="AuthOptions.SigningKey"/>).</summary>
    public const string LocalScheme = "local";

    /// <summary>The OIDC provider at <see cref="AuthOptions.Authority"/>.</summary>
    public const string OidcScheme = "oidc";

    /// <summary>Development only: tokens of <c>dotnet user-jwts create</c> (<see cref="DevelopmentTokens"/>).</summary>
    public const string UserJwtsScheme = "user-jwts";

    private const string SelectorScheme = JwtBearerDefaults.AuthenticationScheme;

    /// <summary>
    /// JWT bearer authentication (the platform's HS256 issuer, an OIDC authority, or both: a token goes to the scheme
    /// of its <c>iss</c>) and authorization. Outside Development an authority turns the HS256 issuer off unless
    /// <c>Auth:AllowSigningKeyWithAuthority</c> is true. Misconfiguration fails here, at startup, never as a 500 per request.
    /// </summary>
    /// <exception cref="InvalidOperationException">Outside Development without an authority or a 32-byte key; an
    /// authority that is not an absolute http(s) URL; an http authority while <c>Auth:RequireHttpsMetadata</c> is true.</exception>
    public static WebApplicationBuilder AddPlatformAuth(this WebApplicationBuilder builder)
    {
        var options = builder.Configuration.GetSection(AuthOptions.Section).Get<AuthOptions>() ?? new AuthOptions();
        builder.Services.Configure<AuthOptions>(builder.Configuration.GetSection(AuthOptions.Section));
        var authority = ValidateAuthority(options);
        var signingKey = options.SigningKey;
        if (authority is not null && !builder.Environment.IsDevelopment() && !options.AllowSigningKeyWithAuthority)
        {
            // Production users come from the OIDC issuer: the shared HS256 key is not trusted next to it unless allowed.
            signingKey = null;
        }

        if (string.IsNullOrWhiteSpace(signingKey) || Encoding.UTF8.GetByteCount(signingKey) < 32)
        {
            signingKey = null;
            if (authority is null)
            {
                // Fail at startup, not with a 500 on every request (the bearer handler is built lazily).
                if (!builder.Environment.IsDevelopment())
                {
                    throw new InvalidOperationException("Set Auth:Authority (OIDC) or Auth:SigningKey (at least 32 bytes) outside Development.");
                }

                // Development without a key: a per-process random key, so no token from elsewhere is accepted.
                signingKey = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(48));
            }
        }

        var userJwts = builder.Environment.IsDevelopment() ? DevelopmentTokens.From(builder.Configuration) : null;
        var authentication = builder.Services.AddAuthentication(SelectorScheme);
        authentication.AddPolicyScheme(SelectorScheme, "Bearer (by issuer)", policy =>
            policy.ForwardDefaultSelector = context => SchemeFor(context, options, hasLocal: signingKey is not null, hasOidc: authority is not null, userJwts));
        if (signingKey is not null)
        {
            authentication.AddJwtBearer(LocalScheme, jwt =>
            {
                Configure(jwt, options);
                jwt.TokenValidationParameters.ValidIssuer = options.Issuer;
                jwt.TokenValidationParameters.IssuerSigningKey = new SymmetricSecurityKey(Encoding.UTF8.GetBytes(signingKey));
                jwt.TokenValidationParameters.ValidAlgorithms = [SecurityAlgorithms.HmacSha256];
            });
        }

        if (authority is not null)
        {
            authentication.AddJwtBearer(OidcScheme, jwt =>
            {
                Configure(jwt, options);
                jwt.Authority = authority;
                jwt.RequireHttpsMetadata = options.RequireHttpsMetadata;

                // The issuer and its signing keys come from the discovery document; an unknown `kid` (a rotated key)
                // makes the handler fetch the JWKS again.
            });

            // Runs after JwtBearer's own post-configuration has built the configuration manager. By default a key
            // the provider removed stays trusted for an hour ("last known good" configuration); a key is removed
            // when it must not be trusted any more, so the platform trusts only what the JWKS lists now.
            builder.Services.PostConfigure<JwtBearerOptions>(OidcScheme, jwt =>
            {
                if (jwt.ConfigurationManager is BaseConfigurationManager manager)
                {
                    manager.UseLastKnownGoodConfiguration = false;
                }
            });
        }

        if (userJwts is not null)
        {
            authentication.AddJwtBearer(UserJwtsScheme, jwt =>
            {
                Configure(jwt, options);
                userJwts.Apply(jwt.TokenValidationParameters);
                jwt.Events.OnTokenValidated = context =>
                {
                    // `dotnet user-jwts create --role admin` writes `role: admin`, whatever the deployment's provider uses.
                    context.Principal = MapRoles(context.Principal!, DevelopmentTokens.RoleClaim, PlatformRoles.Admin);
                    return Task.CompletedTask;
                };
            });
        }

        builder.Services.AddAuthorization();
        builder.Services.AddMemoryCache();
        builder.Services.AddSingleton<UserDirectory>();
        return builder;
    }

    private static string? ValidateAuthority(AuthOptions options)
    {
        if (string.IsNullOrWhiteSpace(options.Authority))
        {
            return null;
        }

        if (!Uri.TryCreate(options.Authority, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp))
        {
            throw new InvalidOperationException($"Auth:Authority '{options.Authority}' must be an absolute https URL (the OIDC issuer).");
        }

        if (uri.Scheme == Uri.UriSchemeHttp && options.RequireHttpsMetadata)
        {
            throw new InvalidOperationException(
                $"Auth:Authority '{options.Authority}' uses http while Auth:RequireHttpsMetadata is true: use the issuer's https URL, " +
                "or set Auth:RequireHttpsMetadata=false for a local issuer over http.");
        }

        return options.Authority;
    }

    private static void Configure(JwtBearerOptions jwt, AuthOptions options)
    {
        jwt.MapInboundClaims = false;
        jwt.TokenValidationParameters = new TokenValidationParameters
        {
            NameClaimType = "sub",
            RoleClaimType = PlatformRoles.ClaimType,
            ValidAudience = options.Audience,
            ValidateIssuer = true,
            ValidateAudience = true,
            ValidateLifetime = true,
            ClockSkew = TimeSpan.FromSeconds(30),
        };
        jwt.Events = new JwtBearerEvents
        {
            OnMessageReceived = context =>
            {
                context.Token = QueryToken(context.HttpContext);
                return Task.CompletedTask;
            },
            OnTokenValidated = context =>
            {
                context.Principal = MapRoles(context.Principal!, options.RoleClaim, options.ProviderAdminRole);
                return Task.CompletedTask;
            },
        };
    }

    /// <summary>
    /// The token's claims, minus any claim of the platform's own types (a token cannot bring those in), plus
    /// <see cref="PlatformRoles.Admin"/> when <paramref name="roleClaim"/> (<see cref="AuthOptions.RoleClaim"/>) holds
    /// <paramref name="adminRole"/> (<see cref="AuthOptions.ProviderAdminRole"/>).
    /// </summary>
    private static ClaimsPrincipal MapRoles(ClaimsPrincipal principal, string roleClaim, string adminRole)
    {
        var source = principal.Identities.First();
        var identity = new ClaimsIdentity(source.AuthenticationType, "sub", PlatformRoles.ClaimType);
        identity.AddClaims(principal.Claims.Where(c => !c.Type.StartsWith("platform:", StringComparison.Ordinal)).Select(c => c.Clone()));
        if (principal.Claims.Any(c => c.Type == roleClaim && c.Value == adminRole))
        {
            identity.AddClaim(new Claim(PlatformRoles.ClaimType, PlatformRoles.Admin));
        }

        return new ClaimsPrincipal(identity);
    }

    /// <summary>Browsers cannot set headers on WebSocket or EventSource requests: <c>?access_token=</c> is accepted there.</summary>
    private static string? QueryToken(HttpContext context)
    {
        var path = context.Request.Path;
        return context.Request.Query.TryGetValue("access_token", out var token)
            && path.StartsWithSegments("/api/jobs")
            && (path.Value!.EndsWith("/events", StringComparison.Ordinal) || path.Value.EndsWith("/ws", StringComparison.Ordinal))
            ? token.ToString()
            : null;
    }

    /// <summary>
    /// The scheme for the request's token, by its <c>iss</c>: <see cref="AuthOptions.Issuer"/> goes to the local scheme,
    /// the issuer of <c>dotnet user-jwts</c> (Development) to <see cref="UserJwtsScheme"/>, anything else to the OIDC one.
    /// </summary>
    private static string SchemeFor(HttpContext context, AuthOptions options, bool hasLocal, bool hasOidc, DevelopmentTokens? userJwts)
    {
        if (userJwts is null && (!hasLocal || !hasOidc))
        {
            return hasLocal ? LocalScheme : OidcScheme;
        }

        var token = QueryToken(context);
        var header = context.Request.Headers.Authorization.ToString();
        if (token is null && header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            token = header["Bearer ".Length..].Trim();
        }

        string? issuer = null;
        try
        {
            var handler = new JsonWebTokenHandler();
            if (token is not null && handler.CanReadToken(token))
            {
                issuer = handler.ReadJsonWebToken(token).Issuer;
            }
        }
        catch (ArgumentException)
        {
            // Unreadable: whichever scheme gets it refuses it.
        }

        if (hasLocal && issuer == options.Issuer)
        {
            return LocalScheme;
        }

        if (userJwts is not null && issuer is not null && userJwts.Issuers.Contains(issuer))
        {
            return UserJwtsScheme;
        }

        return hasOidc ? OidcScheme : hasLocal ? LocalScheme : UserJwtsScheme;
    }
}
