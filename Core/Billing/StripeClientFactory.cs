using Stripe;

namespace Platform.Core.Billing;

/// <summary>Builds the Stripe.net client from <see cref="StripeOptions"/> (API key, base URL, network retries).</summary>
public static class StripeClientFactory
{
    public static StripeClient Create(StripeOptions options, HttpClient? httpClient = null)
    {
        if (!options.HasSecretKey)
        {
            throw new InvalidOperationException("Stripe:SecretKey is not set.");
        }

        httpClient ??= new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
        {
            Timeout = TimeSpan.FromSeconds(30),
        };
        return new StripeClient(new StripeClientOptions
        {
            ApiKey = options.SecretKey,
            ApiBase = string.IsNullOrWhiteSpace(options.ApiBase) ? null : options.ApiBase.TrimEnd('/'),
            HttpClient = new SystemNetHttpClient(httpClient, Math.Max(0, options.MaxNetworkRetries)),
        });
    }
}
