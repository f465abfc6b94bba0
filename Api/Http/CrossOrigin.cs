using Microsoft.AspNetCore.Cors.Infrastructure;

namespace Platform.Api.Http;

/// <summary>
/// CORS (the Fetch standard's CORS protocol) for browser consumers, decided by path in one place:
/// <list type="bullet">
/// <item>User endpoints (<c>/api/jobs</c>, <c>/api/me</c> with platforms, <c>/api/billing</c>, <c>/api/admin</c>):
/// only the origins in <c>Cors:AllowedOrigins</c> (environment <c>Cors__AllowedOrigins</c>: a comma-separated list, or
/// <c>Cors__AllowedOrigins__0</c>, <c>__1</c>…), with credentials (cookies or the Authorization header), any method
/// and header, preflight answered and cached by the browser for <see cref="PreflightMaxAge"/>. None listed: no
/// cross-origin access to them.</item>
/// <item>Stripe webhooks: no CORS at all (server to server).</item>
/// <item>Everything else (the public JSON API, the site, sitemaps): any origin, <c>GET</c>/<c>HEAD</c> (and the
/// anonymous click <c>POST</c> under <c>/api/public</c>), never credentials, so a page elsewhere can read public data
/// but never a signed-in user's.</item>
/// </list>
/// </summary>
public static class CrossOrigin
{
    public const string AllowedOriginsKey = "Cors:AllowedOrigins";

    public static readonly TimeSpan PreflightMaxAge = TimeSpan.FromMinutes(10);

    private static readonly string[] UserPaths = ["/api/jobs", "/api/me", "/api/billing", "/api/admin"];

    private static readonly string[] ExposedHeaders = ["ETag", "Location", "Retry-After"];

    public static WebApplicationBuilder AddCrossOrigin(this WebApplicationBuilder builder)
    {
        var origins = AllowedOrigins(builder.Configuration);
        builder.Services.AddCors();
        builder.Services.AddSingleton<ICorsPolicyProvider>(new PathPolicyProvider(origins));
        return builder;
    }

    public static WebApplication UseCrossOrigin(this WebApplication app)
    {
        app.UseCors();
        return app;
    }

    /// <summary>The configured origins, each an absolute http(s) origin (startup fails on anything else, e.g. a path or <c>*</c>).</summary>
    public static IReadOnlyList<string> AllowedOrigins(IConfiguration configuration)
    {
        var section = configuration.GetSection(AllowedOriginsKey);
        var values = section.Value is { } single ? [single] : section.GetChildren().Select(c => c.Value ?? string.Empty).ToArray();
        var origins = new List<string>();
        foreach (var value in values.SelectMany(v => v.Split([',', ';', ' '], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)))
        {
            if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp)
                || uri.AbsolutePath != "/" || !string.IsNullOrEmpty(uri.Query))
            {
                throw new InvalidOperationException(
                    $"{AllowedOriginsKey} (environment Cors__AllowedOrigins) must list origins such as https://app.example.com; got '{value}'.");
            }

            origins.Add(uri.GetLeftPart(UriPartial.Authority));
        }

        return origins;
    }

    private sealed class PathPolicyProvider(IReadOnlyList<string> origins) : ICorsPolicyProvider
    {
        private readonly CorsPolicy user = new CorsPolicyBuilder()
            .WithOrigins([.. origins])
            .AllowCredentials()
            .AllowAnyMethod()
            .AllowAnyHeader()
            .WithExposedHeaders(ExposedHeaders)
            .SetPreflightMaxAge(PreflightMaxAge)
            .Build();

        private readonly CorsPolicy publicRead = new CorsPolicyBuilder()
            .AllowAnyOrigin()
            .WithMethods(HttpMethods.Get, HttpMethods.Head)
            .AllowAnyHeader()
            .WithExposedHeaders(ExposedHeaders)
            .SetPreflightMaxAge(PreflightMaxAge)
            .Build();

        private readonly CorsPolicy publicApi = new CorsPolicyBuilder()
            .AllowAnyOrigin()
            .WithMethods(HttpMethods.Get, HttpMethods.Head, HttpMethods.Post)
            .AllowAnyHeader()
            .WithExposedHeaders(ExposedHeaders)
            .SetPreflightMaxAge(PreflightMaxAge)
            .Build();

        public Task<CorsPolicy?> GetPolicyAsync(HttpContext context, string? policyName)
        {
            var path = context.Request.Path;
            CorsPolicy? policy =
                UserPaths.Any(p => path.StartsWithSegments(p, StringComparison.OrdinalIgnoreCase)) ? (origins.Count == 0 ? null : user)
                : path.StartsWithSegments("/webhooks", StringComparison.OrdinalIgnoreCase) ? null
                : path.StartsWithSegments("/api/public", StringComparison.OrdinalIgnoreCase) ? publicApi
                : publicRead;
            return Task.FromResult(policy);
        }
    }
}
