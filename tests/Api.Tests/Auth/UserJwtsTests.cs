using System.IdentityModel.Tokens.Jwt;
using System.Net;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Security.Principal;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.IdentityModel.Tokens;

namespace Platform.Api.Tests.Auth;

/// <summary>
/// The Api in Development with the settings <c>dotnet user-jwts create</c> leaves behind: its signing key in the
/// project's user secrets (a flat <c>Authentication:Schemes:Bearer:SigningKeys</c> array) and the valid issuer and
/// audiences in <c>appsettings.Development.json</c>. Written here byte for byte in the tool's layout
/// (dotnet/aspnetcore src/Tools/dotnet-user-jwts: SigningKeysHandler, JwtAuthenticationSchemeSettings).
/// </summary>
public sealed class UserJwtsApiHost : ApiHost
{
    public const string Issuer = "dotnet-user-jwts";
    public const string Audience = "http://localhost:5180";

    private readonly string directory = Directory.CreateTempSubdirectory("user-jwts-").FullName;

    public byte[] KeyMaterial { get; } = RandomNumberGenerator.GetBytes(32);

    protected override void Configure(IDictionary<string, string?> settings)
    {
        var secrets = Path.Combine(directory, "secrets.json");
        File.WriteAllText(secrets, JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["Authentication:Schemes:Bearer:SigningKeys"] = new[]
            {
                new { Id = "199e8e67", Issuer, Value = Convert.ToBase64String(KeyMaterial), Length = 32 },
            },
        }));
        var appSettings = Path.Combine(directory, "appsettings.Development.json");
        File.WriteAllText(appSettings, """
            {
              "Authentication": {
                "Schemes": {
                  "Bearer": {
                    "ValidAudiences": [
                      "http://localhost:5180"
                    ],
                    "ValidIssuer": "dotnet-user-jwts"
                  }
                }
              }
            }
            """);
        // Read by the configuration's JSON provider, as the Api reads both files, then handed to the test host.
        foreach (var (key, value) in new ConfigurationBuilder().AddJsonFile(appSettings).AddJsonFile(secrets).Build().AsEnumerable())
        {
            if (value is not null)
            {
                settings[key] = value;
            }
        }
    }

    /// <summary>A token as <c>dotnet user-jwts create --name {name} [--role r]…</c> issues it (JwtIssuer.Create).</summary>
    public string Create(string name, byte[]? keyMaterial = null, params string[] roles)
    {
        var identity = new GenericIdentity(name);
        identity.AddClaim(new Claim(JwtRegisteredClaimNames.Sub, name));
        identity.AddClaim(new Claim(JwtRegisteredClaimNames.Jti, Guid.NewGuid().ToString("N")[..8]));
        identity.AddClaims(roles.Select(r => new Claim(ClaimTypes.Role, r)));
        var handler = new JwtSecurityTokenHandler();
        var credentials = new SigningCredentials(new SymmetricSecurityKey(keyMaterial ?? KeyMaterial), SecurityAlgorithms.HmacSha256Signature);
        var now = DateTime.UtcNow;
        return handler.WriteToken(handler.CreateJwtSecurityToken(Issuer, Audience, identity, now, now.AddMonths(3), now, credentials));
    }

    public HttpClient Client(string token)
    {
        var client = CreateClient();
        client.DefaultRequestHeaders.Authorization = new("Bearer", token);
        return client;
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        Directory.Delete(directory, recursive: true);
    }
}

/// <summary>In Development the Api accepts <c>dotnet user-jwts</c> tokens; their <c>sub</c> is a user name, keyed like any OIDC subject.</summary>
public class UserJwtsTests(UserJwtsApiHost api) : IClassFixture<UserJwtsApiHost>
{
    [Fact]
    public async Task A_user_jwts_token_signs_in_a_user_keyed_by_the_tools_issuer_and_the_user_name()
    {
        var name = "alice-" + Guid.NewGuid().ToString("N")[..8];
        using var client = api.Client(api.Create(name));

        using var me = await client.GetAsync("/api/me");
        using var admin = await client.GetAsync("/api/admin/featured-creators");

        Assert.Equal(HttpStatusCode.OK, me.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, admin.StatusCode);
        var userId = await api.ScalarAsync<Guid?>($"SELECT user_id FROM user_identity WHERE issuer = '{UserJwtsApiHost.Issuer}' AND subject = '{name}'");
        Assert.NotNull(userId);
        var body = JsonDocument.Parse(await me.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(userId.ToString(), body.GetProperty("id").GetString());
        Assert.False(body.GetProperty("is_admin").GetBoolean());
    }

    [Fact]
    public async Task Role_admin_reaches_admin_endpoints()
    {
        using var client = api.Client(api.Create("admin-" + Guid.NewGuid().ToString("N")[..8], roles: "admin"));

        using var admin = await client.GetAsync("/api/admin/featured-creators");
        using var me = await client.GetAsync("/api/me");

        Assert.Equal(HttpStatusCode.OK, admin.StatusCode);
        Assert.True(JsonDocument.Parse(await me.Content.ReadAsStringAsync()).RootElement.GetProperty("is_admin").GetBoolean());
    }

    [Fact]
    public async Task A_token_signed_with_another_key_is_refused()
    {
        using var client = api.Client(api.Create("mallory", RandomNumberGenerator.GetBytes(32), "admin"));

        using var me = await client.GetAsync("/api/me");

        Assert.Equal(HttpStatusCode.Unauthorized, me.StatusCode);
    }

    [Fact]
    public async Task The_platforms_own_tokens_still_work_beside_them()
    {
        using var client = api.CreateClient(Guid.NewGuid(), admin: true);

        using var admin = await client.GetAsync("/api/admin/featured-creators");

        Assert.Equal(HttpStatusCode.OK, admin.StatusCode);
    }
}
