using Microsoft.Extensions.Primitives;
using Platform.Api.Features.Discovery;

namespace Platform.Api.Http;

/// <summary>
/// The Host header decides nothing outside Development. Canonical URLs, robots.txt and sitemaps come from
/// <c>Discovery:PublicBaseUrl</c>, which must be set there (startup fails with a clear message otherwise), and a
/// request naming another host is refused with 400 (RFC 9110 §7.2: the Host must identify this origin). The allowed
/// hosts are <c>AllowedHosts</c> when it lists any, else the public origin's host. <c>/health</c> and <c>/alive</c>
/// answer whatever the Host, because container probes address the replica by its own IP address.
/// </summary>
public static class PublicHost
{
    /// <summary>Validates <c>Discovery:PublicBaseUrl</c> (absolute http(s); required outside Development) and registers the filter's hosts.</summary>
    public static WebApplicationBuilder AddPublicHostFilter(this WebApplicationBuilder builder)
    {
        var configured = builder.Configuration[$"{DiscoveryOptions.Section}:{nameof(DiscoveryOptions.PublicBaseUrl)}"];
        Uri? origin = null;
        if (!string.IsNullOrWhiteSpace(configured)
            && (!Uri.TryCreate(configured, UriKind.Absolute, out origin) || (origin.Scheme != Uri.UriSchemeHttps && origin.Scheme != Uri.UriSchemeHttp)))
        {
            throw new InvalidOperationException(
                $"Discovery:PublicBaseUrl (environment Discovery__PublicBaseUrl) must be an absolute http(s) origin such as https://example.com; got '{configured}'.");
        }

        if (builder.Environment.IsDevelopment())
        {
            return builder;
        }

        if (origin is null)
        {
            throw new InvalidOperationException(
                "Discovery:PublicBaseUrl (environment Discovery__PublicBaseUrl) must be set outside Development: it is the public " +
                "origin of canonical URLs, robots.txt and sitemaps (e.g. https://example.com). Without it the request's Host header " +
                "would choose them.");
        }

        var listed = (builder.Configuration["AllowedHosts"] ?? "*")
            .Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var hosts = listed.Length == 0 || listed.Contains("*") ? [origin.Host] : listed;
        builder.Services.AddSingleton(new AllowedPublicHosts(hosts));
        return builder;
    }

    /// <summary>First thing after the exception handler; a no-op in Development.</summary>
    public static WebApplication UsePublicHostFilter(this WebApplication app)
    {
        if (app.Services.GetService<AllowedPublicHosts>() is { } allowed)
        {
            app.Use(async (context, next) =>
            {
                if (allowed.Allows(context.Request.Host)
                    || context.Request.Path.StartsWithSegments(ServiceDefaultsExtensions.HealthEndpointPath)
                    || context.Request.Path.StartsWithSegments(ServiceDefaultsExtensions.AlivenessEndpointPath))
                {
                    await next(context);
                    return;
                }

                await Problems.WriteAsync(context, StatusCodes.Status400BadRequest, "Unknown host", "The Host header does not name this site.");
            });
        }

        return app;
    }
}

/// <summary>Hosts (with <c>*.</c> wildcards, as ASP.NET Core's <c>AllowedHosts</c>) a request may name outside Development.</summary>
public sealed class AllowedPublicHosts(IReadOnlyList<string> hosts)
{
    private readonly IList<StringSegment> segments = hosts.Select(h => new StringSegment(h)).ToList();

    public bool Allows(HostString host) => host.HasValue && HostString.MatchesAny(host.Host, segments);
}
