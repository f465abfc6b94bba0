using System.Security.Claims;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Platform.TestSupport;

namespace Platform.Api.Tests.Auth;

/// <summary>
/// An OIDC provider faked at the HTTP boundary: a Kestrel server on a loopback port serving
/// <c>/.well-known/openid-configuration</c> and its JWKS, and minting RS256 tokens with its current key. The Api's real
/// JwtBearer handler discovers it over HTTP. <see cref="RotateKey"/> replaces the signing key (the JWKS then lists only
/// the new one), as a provider's key rotation does.
/// </summary>
public sealed class FakeOidcIssuer : IAsyncDisposable
{
    private FakeHttpServer server = null!;
    private volatile RsaSecurityKey key = NewKey();
    private int jwksRequests;

    private FakeOidcIssuer()
    {
    }

    /// <summary>The issuer (<c>iss</c>) and authority URL, with a trailing slash like Auth0's.</summary>
    public string Issuer { get; private set; } = string.Empty;

    public int JwksRequests => Volatile.Read(ref jwksRequests);

    public RsaSecurityKey CurrentKey => key;

    public static async Task<FakeOidcIssuer> StartAsync()
    {
        var fake = new FakeOidcIssuer();
        fake.server = await FakeHttpServer.StartAsync(app => fake.Map(app));
        fake.Issuer = fake.server.BaseUrl + "/";
        return fake;
    }

    private void Map(WebApplication app)
    {
        var fake = this;
        app.MapGet("/.well-known/openid-configuration", () => Results.Content(new JsonObject
        {
            ["issuer"] = fake.Issuer,
            ["jwks_uri"] = fake.Issuer + ".well-known/jwks.json",
            ["id_token_signing_alg_values_supported"] = new JsonArray("RS256"),
            ["response_types_supported"] = new JsonArray("code"),
            ["subject_types_supported"] = new JsonArray("public"),
        }.ToJsonString(), "application/json"));
        app.MapGet("/.well-known/jwks.json", () =>
        {
            Interlocked.Increment(ref fake.jwksRequests);
            var jwk = JsonWebKeyConverter.ConvertFromRSASecurityKey(fake.key);
            return Results.Content(new JsonObject
            {
                ["keys"] = new JsonArray(new JsonObject { ["kty"] = "RSA", ["use"] = "sig", ["alg"] = "RS256", ["kid"] = jwk.Kid, ["n"] = jwk.N, ["e"] = jwk.E }),
            }.ToJsonString(), "application/json");
        });
    }

    /// <summary>A new signing key; the JWKS lists only it from now on. Returns the old one.</summary>
    public RsaSecurityKey RotateKey()
    {
        var old = key;
        key = NewKey();
        return old;
    }

    /// <summary>An RS256 token of this issuer for <paramref name="subject"/> (audience <c>platform-api</c>).</summary>
    public string Mint(string subject, IDictionary<string, object>? claims = null, RsaSecurityKey? signWith = null, string? issuer = null)
    {
        var payload = new Dictionary<string, object>(claims ?? new Dictionary<string, object>()) { ["sub"] = subject };
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Claims = payload,
            Issuer = issuer ?? Issuer,
            Audience = TestTokens.Audience,
            Expires = DateTime.UtcNow.AddMinutes(10),
            SigningCredentials = new SigningCredentials(signWith ?? key, SecurityAlgorithms.RsaSha256),
        });
    }

    public HttpClient Client(ApiHost api, string subject, IDictionary<string, object>? claims = null)
    {
        var client = api.CreateClient();
        client.DefaultRequestHeaders.Authorization = new("Bearer", Mint(subject, claims));
        return client;
    }

    private static RsaSecurityKey NewKey() => new(RSA.Create(2048)) { KeyId = Guid.NewGuid().ToString("N")[..16] };

    public ValueTask DisposeAsync() => server.DisposeAsync();
}

/// <summary>The Api trusting both the platform's HS256 issuer and a <see cref="FakeOidcIssuer"/> (over http, so RequireHttpsMetadata is off).</summary>
public class OidcApiHost : ApiHost
{
    public const string RoleClaim = "https://platform.example/roles";
    public const string AdminRole = "platform-admin";

    public FakeOidcIssuer Oidc { get; private set; } = null!;

    public override async Task InitializeAsync()
    {
        Oidc = await FakeOidcIssuer.StartAsync();
        await base.InitializeAsync();
    }

    protected override void Configure(IDictionary<string, string?> settings)
    {
        settings["Auth:Authority"] = Oidc.Issuer;
        settings["Auth:RequireHttpsMetadata"] = "false";
        settings["Auth:RoleClaim"] = RoleClaim;
        settings["Auth:AdminRole"] = AdminRole;
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await Oidc.DisposeAsync();
    }
}
