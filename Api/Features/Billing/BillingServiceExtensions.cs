using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Platform.Core.Billing;

namespace Platform.Api.Features.Billing;

public static class BillingServiceExtensions
{
    /// <summary>Stripe billing: settings (section <c>Stripe</c>), the Stripe.net client, customer bookkeeping.</summary>
    public static WebApplicationBuilder AddBilling(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<StripeOptions>().BindConfiguration(StripeOptions.Section);
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddSingleton(sp => new StripeGateway(sp.GetRequiredService<IOptions<StripeOptions>>().Value));
        builder.Services.AddScoped<StripeCustomers>();
        return builder;
    }
}
