using Aspire.Hosting.ApplicationModel;

namespace Platform.AppHost;

/// <summary>
/// The settings a deployment needs beyond connection strings, in publish mode only (run mode keeps the local
/// defaults), as parameters the deployment asks for or generates once. infra/ (what `azd up` provisions) sets the
/// same variables; keep the two in step.
/// </summary>
public static class ProductionSettings
{
    /// <returns>In run mode the Api's HS256 signing key parameter (the dashboard's admin commands sign with it);
    /// <c>null</c> in publish mode, where the Api trusts only the OIDC issuer.</returns>
    public static IResourceBuilder<ParameterResource>? AddProductionSettings(
        this IDistributedApplicationBuilder builder,
        IResourceBuilder<ProjectResource> api,
        IResourceBuilder<ProjectResource> workers,
        IResourceBuilder<ProjectResource> migrations)
    {
        if (!builder.ExecutionContext.IsPublishMode)
        {
            // Run mode: the Api's own HS256 issuer, with a key generated once (tokens for local use and tests).
            var signingKey = builder.AddParameter(
                "auth-signing-key", new GenerateParameterDefault { MinLength = 48, Special = false }, secret: true, persist: true);
            api.WithEnvironment("Auth__SigningKey", signingKey);
            return signingKey;
        }

        // Behind the ingress: the client address is the last X-Forwarded-For entry (rate limits, visitor hashes).
        api.WithEnvironment("ASPNETCORE_FORWARDEDHEADERS_ENABLED", "true");

        // Canonical https URLs, sitemaps and Stripe's return URLs.
        var publicBaseUrl = builder.AddParameter("public-base-url");
        api.WithEnvironment("Discovery__PublicBaseUrl", publicBaseUrl);
        var webAppBaseUrl = builder.AddParameter("web-app-base-url");
        api.WithEnvironment("Stripe__CheckoutSuccessUrl", ReferenceExpression.Create($"{webAppBaseUrl}/billing?checkout=success"));
        api.WithEnvironment("Stripe__CheckoutCancelUrl", ReferenceExpression.Create($"{webAppBaseUrl}/billing?checkout=cancelled"));
        api.WithEnvironment("Stripe__PortalReturnUrl", ReferenceExpression.Create($"{webAppBaseUrl}/billing"));

        // One visitor-hash salt for every replica (a random one per process would split the click dedup).
        api.WithEnvironment("Discovery__VisitorHashSalt", builder.AddParameter(
            "visitor-hash-salt", new GenerateParameterDefault { MinLength = 32, Special = false }, secret: true, persist: true));

        // Users come from an OIDC issuer in production, and only from it: no shared HS256 key is deployed (the Api
        // would ignore one next to an authority anyway unless Auth__AllowSigningKeyWithAuthority is true).
        api.WithEnvironment("Auth__Authority", builder.AddParameter("auth-authority"));

        // Azure Monitor (ServiceDefaults exports there when this is set).
        var applicationInsights = builder.AddParameter("applicationinsights-connection-string", secret: true);
        foreach (var service in new[] { api, workers, migrations })
        {
            service.WithEnvironment("APPLICATIONINSIGHTS_CONNECTION_STRING", applicationInsights);
        }

        return null;
    }
}
