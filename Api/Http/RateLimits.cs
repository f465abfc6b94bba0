using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;
using Platform.Api.Features.Discovery;

namespace Platform.Api.Http;

/// <summary>
/// Settings of the rate limits beyond the public API's (<c>Discovery:RateLimitPermits</c>), section <c>RateLimits</c>.
/// Every limit is a fixed window: at most <c>…Permits</c> requests per <c>…WindowSeconds</c> per partition; a request
/// over it is answered 429 with <c>Retry-After</c> (<see cref="RateLimits.AddPlatformRateLimits"/>).
/// </summary>
public sealed class RateLimitOptions
{
    public const string Section = "RateLimits";

    /// <summary><c>/health</c>, <c>/alive</c> and <c>/robots.txt</c>, per client address (probes ask every few seconds).</summary>
    public int ProbePermits { get; set; } = 60;

    public int ProbeWindowSeconds { get; set; } = 10;

    /// <summary><c>POST /webhooks/stripe</c> requests with a missing or invalid signature, per client address. Signed events are never limited.</summary>
    public int UnsignedWebhookPermits { get; set; } = 10;

    public int UnsignedWebhookWindowSeconds { get; set; } = 60;

    /// <summary>
    /// <c>POST /api/billing/checkout</c> and <c>/portal</c> together, per signed-in user: each calls Stripe, whose API
    /// rate limit the whole account (webhook processing included) shares, and writes <c>billing_audit</c>.
    /// </summary>
    public int BillingPermits { get; set; } = 10;

    public int BillingWindowSeconds { get; set; } = 60;

    /// <summary><c>GET /api/public/search</c> per client address (instead of the public budget): a cache miss costs up to three queries.</summary>
    public int SearchPermits { get; set; } = 30;

    public int SearchWindowSeconds { get; set; } = 10;

    /// <summary><c>POST /api/public/content/{id}/click</c> per client address (instead of the public budget): clicks drive <c>popular</c> and trending.</summary>
    public int ClickPermits { get; set; } = 120;

    public int ClickWindowSeconds { get; set; } = 3600;

    /// <summary>
    /// <c>POST /api/me/platforms/{id}/verify</c> and <c>POST /api/me/platforms/youtube/authorize</c> together, per
    /// signed-in user: a verify fetches a feed and its home page (up to two outbound requests of up to
    /// <c>Ingestion__FeedFetchTimeout</c> each), so a loop of them would make the Api a fetcher at the user's command.
    /// </summary>
    public int OwnershipCheckPermits { get; set; } = 10;

    public int OwnershipCheckWindowSeconds { get; set; } = 60;
}

/// <summary>The named rate-limit policies endpoints opt into, and the limiter of unsigned webhook requests.</summary>
public static class RateLimits
{
    /// <summary>Health probes and robots.txt, per client address.</summary>
    public const string ProbePolicy = "probe";

    /// <summary>Billing actions that call Stripe, per signed-in identity (the client address when anonymous, which authorisation then refuses).</summary>
    public const string BillingPolicy = "billing";

    /// <summary>Ownership verification (feed token checks and YouTube OAuth starts), per signed-in identity.</summary>
    public const string OwnershipCheckPolicy = "ownership-check";

    /// <summary>Public search, per client address.</summary>
    public const string SearchPolicy = "search";

    /// <summary>Click recording, per client address.</summary>
    public const string ClickPolicy = "click";

    public static WebApplicationBuilder AddPlatformRateLimits(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<RateLimitOptions>().Bind(builder.Configuration.GetSection(RateLimitOptions.Section));
        builder.Services.AddSingleton<UnsignedWebhookLimiter>();
        builder.Services.AddRateLimiter(options =>
        {
            // ASP.NET Core rejects with 503 by default: over a limit is 429, with Retry-After and a problem detail.
            options.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            options.OnRejected = async (context, ct) =>
            {
                var http = context.HttpContext;
                var retryAfter = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait)
                    ? (int)Math.Ceiling(wait.TotalSeconds)
                    : 1;
                http.Response.Headers.RetryAfter = Math.Max(1, retryAfter).ToString(CultureInfo.InvariantCulture);
                await Problems.WriteAsync(http, StatusCodes.Status429TooManyRequests, "Too many requests",
                    $"Rate limit exceeded; retry after {retryAfter} s.");
            };
            options.AddPolicy(DiscoveryServiceExtensions.PublicRateLimitPolicy, context =>
            {
                var settings = context.RequestServices.GetRequiredService<IOptions<DiscoveryOptions>>().Value;
                return FixedWindow(ClientAddress.Key(context), settings.RateLimitPermits, settings.RateLimitWindowSeconds);
            });
            options.AddPolicy(ProbePolicy, context =>
            {
                var settings = context.RequestServices.GetRequiredService<IOptions<RateLimitOptions>>().Value;
                return FixedWindow(ClientAddress.Key(context), settings.ProbePermits, settings.ProbeWindowSeconds);
            });
            options.AddPolicy(SearchPolicy, context =>
            {
                var settings = context.RequestServices.GetRequiredService<IOptions<RateLimitOptions>>().Value;
                return FixedWindow(ClientAddress.Key(context), settings.SearchPermits, settings.SearchWindowSeconds);
            });
            options.AddPolicy(ClickPolicy, context =>
            {
                var settings = context.RequestServices.GetRequiredService<IOptions<RateLimitOptions>>().Value;
                return FixedWindow(ClientAddress.Key(context), settings.ClickPermits, settings.ClickWindowSeconds);
            });
            options.AddPolicy(BillingPolicy, context =>
            {
                var settings = context.RequestServices.GetRequiredService<IOptions<RateLimitOptions>>().Value;
                return FixedWindow(SignedInKey(context), settings.BillingPermits, settings.BillingWindowSeconds);
            });
            options.AddPolicy(OwnershipCheckPolicy, context =>
            {
                var settings = context.RequestServices.GetRequiredService<IOptions<RateLimitOptions>>().Value;
                return FixedWindow(SignedInKey(context), settings.OwnershipCheckPermits, settings.OwnershipCheckWindowSeconds);
            });
        });
        return builder;
    }

    /// <summary>
    /// The partition of a per-user policy: the signed-in identity (issuer, subject), since the limiter runs before
    /// EnsureUserMiddleware resolves it to a user id; the client address when anonymous (which authorisation then refuses).
    /// </summary>
    private static string SignedInKey(HttpContext context)
    {
        var subject = context.User.Identity?.IsAuthenticated == true ? context.User.FindFirst("sub") : null;
        return subject is null ? ClientAddress.Key(context) : $"user:{subject.Issuer}|{subject.Value}";
    }

    internal static RateLimitPartition<string> FixedWindow(string key, int permits, int windowSeconds) =>
        RateLimitPartition.GetFixedWindowLimiter(key, _ => new FixedWindowRateLimiterOptions
        {
            PermitLimit = Math.Max(1, permits),
            Window = TimeSpan.FromSeconds(Math.Max(1, windowSeconds)),
            QueueLimit = 0,
            AutoReplenishment = true,
        });
}

/// <summary>
/// Counts <c>POST /webhooks/stripe</c> requests that fail signature verification, per client address: over
/// <see cref="RateLimitOptions.UnsignedWebhookPermits"/> per window the endpoint answers 429 instead of 400. Only
/// failures take a permit, so Stripe's correctly signed deliveries are never throttled.
/// </summary>
public sealed class UnsignedWebhookLimiter(IOptions<RateLimitOptions> options) : IDisposable
{
    private readonly PartitionedRateLimiter<string> limiter = PartitionedRateLimiter.Create<string, string>(
        key => RateLimits.FixedWindow(key, options.Value.UnsignedWebhookPermits, options.Value.UnsignedWebhookWindowSeconds));

    /// <summary>Takes one permit for <paramref name="client"/>; false (and the seconds to wait) when its budget is spent.</summary>
    public bool TryCountFailure(string client, out int retryAfterSeconds)
    {
        using var lease = limiter.AttemptAcquire(client);
        retryAfterSeconds = lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)) : 1;
        return lease.IsAcquired;
    }

    public void Dispose() => limiter.Dispose();
}
