using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Platform.Api.Tests.Auth;

/// <summary>Outside Development the Api needs an OIDC authority or a signing key, and says so at startup.</summary>
public class AuthConfigurationTests
{
    [Theory]
    [InlineData(null)]
    [InlineData("too-short-for-hs256")]
    public void Outside_development_the_api_refuses_to_start_without_an_authority_or_a_32_byte_key(string? signingKey)
    {
        using var factory = new WebApplicationFactory<ApiEntryPoint>().WithWebHostBuilder(web =>
        {
            web.UseEnvironment("Production");
            web.UseSetting("ConnectionStrings:platformdb", "Host=127.0.0.1;Port=1;Username=nobody");
            web.UseSetting("ConnectionStrings:cache", "127.0.0.1:1,abortConnect=false");
            web.UseSetting("Auth:SigningKey", signingKey);
        });

        var error = Assert.ThrowsAny<Exception>(() => factory.CreateClient());

        Assert.Contains("Set Auth:Authority (OIDC) or Auth:SigningKey (at least 32 bytes) outside Development.", error.ToString());
    }
}
