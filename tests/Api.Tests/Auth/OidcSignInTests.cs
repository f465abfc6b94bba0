using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Platform.Api.Tests.Auth;

/// <summary>
/// Sign-in with an OIDC provider whose subjects are not uuids (Auth0, Google), against a fake issuer served over HTTP
/// (discovery document, JWKS, RS256) and the platform's own HS256 issuer at the same time.
/// </summary>
public class OidcSignInTests(OidcApiHost api) : IClassFixture<OidcApiHost>
{
    private Task<Guid?> UserOfAsync(string issuer, string subject) =>
        api.ScalarAsync<Guid?>($"SELECT user_id FROM user_identity WHERE issuer = '{issuer}' AND subject = '{subject}'");

    [Theory]
    [InlineData("auth0|64f1c2a9e8b7d6c5b4a39281")]
    [InlineData("109876543210987654321")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ")]
    public async Task A_non_uuid_subject_signs_in_gets_a_uuid_user_with_the_free_plan_and_can_use_the_api(string subject)
    {
        using var client = api.Oidc.Client(api, subject);

        using var connect = await client.PostAsJsonAsync("/api/me/platforms", new { platform = "feed", url = $"https://example.com/{Guid.NewGuid():N}.xml" });
        using var list = await client.GetAsync("/api/me/platforms");

        Assert.Equal(HttpStatusCode.Created, connect.StatusCode);
        Assert.Equal(HttpStatusCode.OK, list.StatusCode);
        var userId = await UserOfAsync(api.Oidc.Issuer, subject);
        Assert.NotNull(userId);
        Assert.Equal("free", await api.ScalarAsync<string>($"SELECT tier FROM subscription WHERE user_id = '{userId}'"));
        Assert.Equal(1L, await api.ScalarAsync<long>($"SELECT count(*) FROM platform_account WHERE user_id = '{userId}'"));
    }

    [Fact]
    public async Task Concurrent_first_requests_of_one_identity_make_one_user()
    {
        var subject = "auth0|concurrent-" + Guid.NewGuid().ToString("N");
        var token = api.Oidc.Mint(subject);

        var statuses = await Task.WhenAll(Enumerable.Range(0, 8).Select(async _ =>
        {
            using var client = api.CreateClient();
            client.DefaultRequestHeaders.Authorization = new("Bearer", token);
            using var response = await client.GetAsync("/api/me/platforms");
            return response.StatusCode;
        }));

        Assert.All(statuses, s => Assert.Equal(HttpStatusCode.OK, s));
        Assert.Equal(1L, await api.ScalarAsync<long>($"SELECT count(*) FROM user_identity WHERE subject = '{subject}'"));
    }

    [Fact]
    public async Task The_same_subject_at_two_issuers_is_two_users()
    {
        var subject = "shared-" + Guid.NewGuid().ToString("N");
        using var oidc = api.Oidc.Client(api, subject);
        using var local = api.CreateClient();
        local.DefaultRequestHeaders.Authorization = new("Bearer", TestTokens.For(Guid.Empty, subject: subject));

        using var fromOidc = await oidc.GetAsync("/api/me/platforms");
        using var fromLocal = await local.GetAsync("/api/me/platforms");

        Assert.Equal(HttpStatusCode.OK, fromOidc.StatusCode);
        Assert.Equal(HttpStatusCode.OK, fromLocal.StatusCode);
        var oidcUser = await UserOfAsync(api.Oidc.Issuer, subject);
        var localUser = await UserOfAsync(TestTokens.Issuer, subject);
        Assert.NotNull(oidcUser);
        Assert.NotNull(localUser);
        Assert.NotEqual(oidcUser, localUser);
    }

    [Fact]
    public async Task The_local_issuers_uuid_subjects_are_the_user_ids_themselves()
    {
        var userId = Guid.NewGuid();
        using var client = api.CreateClient(userId);

        using var response = await client.GetAsync("/api/me/platforms");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(userId, await UserOfAsync(TestTokens.Issuer, userId.ToString()));
        Assert.Equal(1L, await api.ScalarAsync<long>($"SELECT count(*) FROM users WHERE id = '{userId}'"));
    }

    [Fact]
    public async Task Only_a_verified_email_is_stored_and_an_email_in_use_never_links_or_reveals_an_account()
    {
        var email = $"creator-{Guid.NewGuid():N}@example.com";
        var unverified = "auth0|unverified-" + Guid.NewGuid().ToString("N");
        var owner = "auth0|owner-" + Guid.NewGuid().ToString("N");
        var other = "google-oauth2|" + Guid.NewGuid().ToString("N");

        // Unverified first: the address is not stored, so it cannot claim the account of whoever verifies it later.
        using var first = api.Oidc.Client(api, unverified, new Dictionary<string, object> { ["email"] = email, ["email_verified"] = false });
        using var firstResponse = await first.GetAsync("/api/me/platforms");
        using var second = api.Oidc.Client(api, owner, new Dictionary<string, object> { ["email"] = email, ["email_verified"] = true });
        using var secondResponse = await second.GetAsync("/api/me/platforms");
        using var third = api.Oidc.Client(api, other, new Dictionary<string, object> { ["email"] = email.ToUpperInvariant(), ["email_verified"] = "true" });
        using var thirdResponse = await third.GetAsync("/api/me/platforms");

        Assert.Equal(HttpStatusCode.OK, firstResponse.StatusCode);
        Assert.Equal(HttpStatusCode.OK, secondResponse.StatusCode);
        Assert.Equal(HttpStatusCode.OK, thirdResponse.StatusCode);
        var unverifiedUser = await UserOfAsync(api.Oidc.Issuer, unverified);
        var ownerUser = await UserOfAsync(api.Oidc.Issuer, owner);
        var otherUser = await UserOfAsync(api.Oidc.Issuer, other);
        Assert.Null(await api.ScalarAsync<string>($"SELECT email FROM users WHERE id = '{unverifiedUser}'"));
        Assert.Equal(email, await api.ScalarAsync<string>($"SELECT email FROM users WHERE id = '{ownerUser}'"));
        Assert.Null(await api.ScalarAsync<string>($"SELECT email FROM users WHERE id = '{otherUser}'"));
        Assert.Equal(3, new HashSet<Guid?> { unverifiedUser, ownerUser, otherUser }.Count);
    }

    [Fact]
    public async Task After_deleting_the_account_the_same_identity_signs_in_to_a_new_empty_account()
    {
        var subject = "auth0|leaver-" + Guid.NewGuid().ToString("N");
        using var client = api.Oidc.Client(api, subject);
        using var connect = await client.PostAsJsonAsync("/api/me/platforms", new { platform = "feed", url = $"https://example.com/{Guid.NewGuid():N}.xml" });
        var first = await UserOfAsync(api.Oidc.Issuer, subject);

        using var deleted = await client.DeleteAsync("/api/me");
        using var again = await client.GetAsync("/api/me");
        var second = await UserOfAsync(api.Oidc.Issuer, subject);

        Assert.Equal(HttpStatusCode.Created, connect.StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.NotNull(second);
        Assert.NotEqual(first, second);
        Assert.Equal(0, JsonDocument.Parse(await again.Content.ReadAsStringAsync()).RootElement.GetProperty("connected_accounts").GetProperty("total").GetInt64());
        Assert.NotNull(await api.ScalarAsync<DateTime?>($"SELECT deleted_at FROM users WHERE id = '{first}'"));
    }

    [Fact]
    public async Task Roles_come_from_the_configured_claim_and_only_the_configured_admin_role_counts()
    {
        using var admin = api.Oidc.Client(api, "auth0|admin", new Dictionary<string, object> { [OidcApiHost.RoleClaim] = new[] { "editor", OidcApiHost.AdminRole } });
        using var rawAdmin = api.Oidc.Client(api, "auth0|raw", new Dictionary<string, object> { [OidcApiHost.RoleClaim] = "admin", ["role"] = "admin" });
        using var smuggled = api.Oidc.Client(api, "auth0|smuggled", new Dictionary<string, object> { ["platform:role"] = "admin" });

        using var asAdmin = await admin.GetAsync("/api/admin/featured-creators");
        using var asRawAdmin = await rawAdmin.GetAsync("/api/admin/featured-creators");
        using var asSmuggled = await smuggled.GetAsync("/api/admin/featured-creators");

        Assert.Equal(HttpStatusCode.OK, asAdmin.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, asRawAdmin.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, asSmuggled.StatusCode);
    }

    [Fact]
    public async Task A_token_of_another_issuer_or_key_is_refused()
    {
        var foreignKey = new Microsoft.IdentityModel.Tokens.RsaSecurityKey(System.Security.Cryptography.RSA.Create(2048)) { KeyId = api.Oidc.CurrentKey.KeyId };
        using var wrongKey = api.CreateClient();
        wrongKey.DefaultRequestHeaders.Authorization = new("Bearer", api.Oidc.Mint("auth0|x", signWith: foreignKey));
        using var wrongIssuer = api.CreateClient();
        wrongIssuer.DefaultRequestHeaders.Authorization = new("Bearer", api.Oidc.Mint("auth0|x", issuer: "https://evil.example.com/"));

        using var a = await wrongKey.GetAsync("/api/me/platforms");
        using var b = await wrongIssuer.GetAsync("/api/me/platforms");

        Assert.Equal(HttpStatusCode.Unauthorized, a.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, b.StatusCode);
        Assert.Null(await UserOfAsync(api.Oidc.Issuer, "auth0|x"));
    }
}

/// <summary>Key rotation at the provider, in a host of its own (the handler's metadata cache is per host).</summary>
public class OidcKeyRotationTests(OidcApiHost api) : IClassFixture<OidcApiHost>
{
    [Fact]
    public async Task After_the_provider_rotates_its_key_new_tokens_are_accepted_and_tokens_of_the_old_key_are_not()
    {
        using var before = api.Oidc.Client(api, "auth0|rotating");
        using var beforeResponse = await before.GetAsync("/api/me/platforms");
        Assert.Equal(HttpStatusCode.OK, beforeResponse.StatusCode);

        var oldKey = api.Oidc.RotateKey();
        using var after = api.Oidc.Client(api, "auth0|rotating");
        var status = HttpStatusCode.Unauthorized;
        for (var attempt = 0; attempt < 50 && status != HttpStatusCode.OK; attempt++)
        {
            using var response = await after.GetAsync("/api/me/platforms");
            status = response.StatusCode;
            if (status != HttpStatusCode.OK)
            {
                await Task.Delay(100);
            }
        }

        using var old = api.CreateClient();
        old.DefaultRequestHeaders.Authorization = new("Bearer", api.Oidc.Mint("auth0|rotating", signWith: oldKey));
        using var oldResponse = await old.GetAsync("/api/me/platforms");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(HttpStatusCode.Unauthorized, oldResponse.StatusCode);
        Assert.True(api.Oidc.JwksRequests >= 2, $"the JWKS was fetched {api.Oidc.JwksRequests} times");
    }
}

/// <summary>An http authority is a startup error unless RequireHttpsMetadata is turned off.</summary>
public class OidcConfigurationTests
{
    [Theory]
    [InlineData("Development")]
    [InlineData("Production")]
    public void An_http_authority_with_require_https_metadata_fails_at_startup_with_a_clear_message(string environment)
    {
        using var factory = new WebApplicationFactory<ApiEntryPoint>().WithWebHostBuilder(web =>
        {
            web.UseEnvironment(environment);
            web.UseSetting("ConnectionStrings:platformdb", "Host=127.0.0.1;Port=1;Username=nobody");
            web.UseSetting("ConnectionStrings:cache", "127.0.0.1:1,abortConnect=false");
            web.UseSetting("Auth:Authority", "http://keycloak.local:8080/realms/platform");
        });

        var error = Assert.ThrowsAny<Exception>(() => factory.CreateClient());

        Assert.Contains("uses http while Auth:RequireHttpsMetadata is true", error.ToString());
        Assert.Contains("Auth:RequireHttpsMetadata=false", error.ToString());
    }
}

/// <summary>An OIDC authority outside Development, with the shared HS256 key still configured (as infra once did).</summary>
public class ProductionOidcApiHost : OidcApiHost
{
    protected override string EnvironmentName => "Production";

    protected override void Configure(IDictionary<string, string?> settings)
    {
        base.Configure(settings);
        settings["Discovery:PublicBaseUrl"] = "http://127.0.0.1"; // required outside Development; the Host the test client sends
    }
}

/// <summary>The same, with the shared key explicitly allowed next to the authority.</summary>
public class ProductionOidcWithSharedKeyApiHost : OidcApiHost
{
    protected override string EnvironmentName => "Production";

    protected override void Configure(IDictionary<string, string?> settings)
    {
        base.Configure(settings);
        settings["Discovery:PublicBaseUrl"] = "http://127.0.0.1";
        settings["Auth:AllowSigningKeyWithAuthority"] = "true";
    }
}

/// <summary>With an authority outside Development, tokens signed with the shared key are refused unless allowed.</summary>
public class ProductionIssuerTests(ProductionOidcApiHost api) : IClassFixture<ProductionOidcApiHost>
{
    [Fact]
    public async Task The_shared_key_is_not_accepted_next_to_an_authority_outside_development()
    {
        using var local = api.CreateClient(Guid.NewGuid());
        using var oidc = api.Oidc.Client(api, "auth0|prod-user");

        using var localResponse = await local.GetAsync("/api/me");
        using var oidcResponse = await oidc.GetAsync("/api/me");

        Assert.Equal(HttpStatusCode.Unauthorized, localResponse.StatusCode);
        Assert.Equal(HttpStatusCode.OK, oidcResponse.StatusCode);
    }
}

public class ProductionSharedKeyAllowedTests(ProductionOidcWithSharedKeyApiHost api) : IClassFixture<ProductionOidcWithSharedKeyApiHost>
{
    [Fact]
    public async Task Auth_allow_signing_key_with_authority_lets_both_issuers_in()
    {
        using var local = api.CreateClient(Guid.NewGuid());
        using var oidc = api.Oidc.Client(api, "auth0|prod-user-2");

        using var localResponse = await local.GetAsync("/api/me");
        using var oidcResponse = await oidc.GetAsync("/api/me");

        Assert.Equal(HttpStatusCode.OK, localResponse.StatusCode);
        Assert.Equal(HttpStatusCode.OK, oidcResponse.StatusCode);
    }
}
