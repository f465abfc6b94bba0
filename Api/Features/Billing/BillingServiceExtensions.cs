using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Platform.Api.Features.Webhooks.ReceiveStripe;
using Platform.Core.Billing;

namespace Platform.Api.Features.Billing;

public static class BillingServiceExtensions
{
    /// <summary>
    /// Stripe billing: settings (section <c>Stripe</c>), the Stripe.net client, customer bookkeeping, and the webhook
    /// receiver's group-commit writer (<see cref="StripeEventWriter"/>, a hosted service that drains on shutdown).
    /// </summary>
    public static WebApplicationBuilder AddBilling(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<StripeOptions>().BindConfiguration(StripeOptions.Section);
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddSingleton(sp => new StripeGateway(sp.GetRequiredService<IOptions<StripeOptions>>().Value));
        builder.Services.AddScoped<StripeCustomers>();
        builder.Services.AddSingleton<StripeEventWriter>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<StripeEventWriter>());
        return builder;
    }
}
