using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.Configuration;
using Platform.Core;
using Platform.Core.Billing;

namespace Platform.AppHost;

/// <summary>
/// Stripe in the model: the keys are Aspire secret parameters, added only when configured
/// (<c>Parameters:stripe-secret-key</c>, optional <c>Parameters:stripe-webhook-secret</c>), and in run mode a
/// <c>stripe-cli</c> resource runs <c>stripe listen --forward-to &lt;api&gt;/webhooks/stripe</c>: the local <c>stripe</c>
/// binary when it is on PATH, else the <c>stripe/stripe-cli</c> container. Prices (<c>Stripe:Prices:&lt;tier&gt;</c>, not
/// secrets) are passed to the Api and the Workers as they are.
/// </summary>
public static class StripeResources
{
    public const string SecretKeyParameter = "stripe-secret-key";
    public const string WebhookSecretParameter = "stripe-webhook-secret";
    public const string CliImage = "stripe/stripe-cli";
    public const string CliTag = "latest";

    /// <summary>Adds the Stripe configuration and the CLI forwarder; returns the CLI resource, or null without a secret key.</summary>
    public static IResource? AddStripe(
        this IDistributedApplicationBuilder builder, IResourceBuilder<ProjectResource> api, IResourceBuilder<ProjectResource> workers)
    {
        foreach (var price in builder.Configuration.GetSection("Stripe:Prices").GetChildren().Where(p => !string.IsNullOrWhiteSpace(p.Value)))
        {
            api.WithEnvironment($"Stripe__Prices__{price.Key}", price.Value);
            workers.WithEnvironment($"Stripe__Prices__{price.Key}", price.Value);
        }

        if (string.IsNullOrWhiteSpace(builder.Configuration[$"Parameters:{SecretKeyParameter}"]))
        {
            return null;
        }

        var secretKey = builder.AddParameter(SecretKeyParameter, secret: true);
        api.WithEnvironment("Stripe__SecretKey", secretKey);
        workers.WithEnvironment("Stripe__SecretKey", secretKey);
        if (!string.IsNullOrWhiteSpace(builder.Configuration[$"Parameters:{WebhookSecretParameter}"]))
        {
            api.WithEnvironment("Stripe__WebhookSecret", builder.AddParameter(WebhookSecretParameter, secret: true));
        }

        if (!builder.ExecutionContext.IsRunMode)
        {
            return null; // the forwarder is a local development tool; deployed, Stripe calls the public endpoint
        }

        var forwardTo = ReferenceExpression.Create($"{api.GetEndpoint("http")}/webhooks/stripe");
        var events = string.Join(",", StripeEventTypes.Handled.Order(StringComparer.Ordinal));
        void Args(CommandLineArgsCallbackContext context)
        {
            context.Args.Add("listen");
            context.Args.Add("--forward-to");
            context.Args.Add(forwardTo);
            context.Args.Add("--events");
            context.Args.Add(events);
        }

        if (FindOnPath("stripe") is { } binary)
        {
            return builder.AddExecutable(ResourceNames.StripeCli, binary, builder.AppHostDirectory)
                .WithArgs(Args)
                .WithEnvironment("STRIPE_API_KEY", secretKey)
                .WaitFor(api)
                .Resource;
        }

        return builder.AddContainer(ResourceNames.StripeCli, CliImage, CliTag)
            .WithArgs(Args)
            .WithEnvironment("STRIPE_API_KEY", secretKey)
            .WaitFor(api)
            .Resource;
    }

    private static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(folder => Path.Combine(folder, name))
            .FirstOrDefault(File.Exists);
}
