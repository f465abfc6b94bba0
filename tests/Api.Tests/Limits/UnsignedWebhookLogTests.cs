using System.Collections.Concurrent;
using System.Net;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Platform.Api.Tests.Billing;

namespace Platform.Api.Tests.Limits;

/// <summary>Keeps the webhook endpoint's log records (its category only) so a test can count them.</summary>
public sealed class WebhookLogRecorder : ILoggerProvider
{
    private const string Category = "Platform.Api.Features.Webhooks.ReceiveStripe.Endpoint";

    public ConcurrentQueue<string> Records { get; } = new();

    public ILogger CreateLogger(string categoryName) => new Recorder(categoryName == Category ? Records : null);

    public void Dispose()
    {
    }

    private sealed class Recorder(ConcurrentQueue<string>? records) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => records is not null;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            records?.Enqueue($"{logLevel}: {formatter(state, exception)}");
    }
}

public sealed class UnsignedWebhookLogHost : BillingApiHost
{
    public WebhookLogRecorder Logs { get; } = new();

    protected override void Configure(IDictionary<string, string?> settings)
    {
        base.Configure(settings);
        settings["RateLimits:UnsignedWebhookPermits"] = "3";
        settings["RateLimits:UnsignedWebhookWindowSeconds"] = "60";
    }

    protected override void ConfigureServices(IServiceCollection services) =>
        services.AddSingleton<ILoggerProvider>(Logs);
}

/// <summary>
/// An unsigned caller past its budget costs no log volume: every refused request used to write a warning, so a flood
/// of unsigned requests (each answered 429 at once) still wrote one log record per request to the log pipeline
/// (Azure Monitor bills ingestion per GB). Only the refusals within the budget are logged.
/// </summary>
public sealed class UnsignedWebhookLogTests(UnsignedWebhookLogHost api) : IClassFixture<UnsignedWebhookLogHost>
{
    [Fact]
    public async Task Refusals_past_the_unsigned_budget_write_no_log_records()
    {
        using var client = api.CreateClient();
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 20; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/webhooks/stripe")
            {
                Content = new StringContent("{\"id\":\"evt_flood\",\"object\":\"event\"}", Encoding.UTF8, "application/json"),
            };
            request.Headers.TryAddWithoutValidation("Stripe-Signature", $"t=1,v1=deadbeef{i}");
            using var response = await client.SendAsync(request);
            statuses.Add(response.StatusCode);
        }

        Assert.All(statuses.Take(3), s => Assert.Equal(HttpStatusCode.BadRequest, s));
        Assert.All(statuses.Skip(3), s => Assert.Equal(HttpStatusCode.TooManyRequests, s));
        var refusals = api.Logs.Records.Where(r => r.Contains("Stripe webhook refused", StringComparison.Ordinal)).ToList();
        Assert.Equal(3, refusals.Count);
    }
}
