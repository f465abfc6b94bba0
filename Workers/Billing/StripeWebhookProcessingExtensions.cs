using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Platform.Core.Billing;
using Platform.Core.Data;
using Platform.Core.Jobs;
using Platform.Workers.Handlers;
using Platform.Workers.Queue;

namespace Platform.Workers.Billing;

public static class StripeWebhookProcessingExtensions
{
    /// <summary>
    /// Stripe event processing (job types <c>stripe_webhook</c>, <c>stripe_reconcile</c> on queue <c>webhooks</c>), the
    /// reconciliation schedule and the 90-day retention of webhook events. Settings: section <c>Stripe</c>.
    /// </summary>
    public static IHostApplicationBuilder AddStripeWebhookProcessing(this IHostApplicationBuilder builder)
    {
        builder.Services.AddStripeWebhookProcessing();
        return builder;
    }

    /// <inheritdoc cref="AddStripeWebhookProcessing(IHostApplicationBuilder)"/>
    public static IServiceCollection AddStripeWebhookProcessing(this IServiceCollection services)
    {
        services.AddOptions<StripeOptions>().BindConfiguration(StripeOptions.Section);
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(sp => new StripeGateway(sp.GetRequiredService<IOptions<StripeOptions>>().Value));
        services.AddScoped<SubscriptionSync>();
        services.AddJobHandler<StripeWebhookHandler>();
        services.AddJobHandler<StripeReconcileHandler>();
        services.AddSchemaReadiness();
        services.AddHostedService<StripeReconcileScheduler>();
        services.AddSingleton<StripeWebhookRetention>();
        services.AddHostedService(sp => sp.GetRequiredService<StripeWebhookRetention>());
        return services;
    }
}
