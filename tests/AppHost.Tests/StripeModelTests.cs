using Platform.Core;

namespace Platform.AppHost.Tests;

/// <summary>Stripe in the application model: secret parameters and the stripe-cli forwarder, only when a key is set.</summary>
public class StripeModelTests
{
    private static async Task<IDistributedApplicationTestingBuilder> BuildModelAsync(params string[] extra) =>
        await DistributedApplicationTestingBuilder.CreateAsync<Projects.AppHost>(
            [
                "--Infrastructure:Mode=local",
                "--Infrastructure:DataDirectory=" + Path.Combine(Path.GetTempPath(), "platform-apphost-model"),
                .. extra,
            ]);

    private static async Task<Dictionary<string, object>> EnvironmentAsync(IDistributedApplicationTestingBuilder builder, IResource resource)
    {
        var environment = new Dictionary<string, object>();
        var context = new EnvironmentCallbackContext(builder.ExecutionContext, environment);
        foreach (var callback in resource.Annotations.OfType<EnvironmentCallbackAnnotation>())
        {
            await callback.Callback(context);
        }

        return environment;
    }

    [Fact]
    public async Task Without_a_stripe_key_there_is_no_stripe_cli_and_no_stripe_parameter()
    {
        await using var builder = await BuildModelAsync();

        Assert.DoesNotContain(builder.Resources, r => r.Name == ResourceNames.StripeCli);
        Assert.DoesNotContain(builder.Resources, r => r.Name == StripeResources.SecretKeyParameter);
        Assert.DoesNotContain("Stripe__SecretKey", (await EnvironmentAsync(builder, Assert.Single(builder.Resources, r => r.Name == ResourceNames.Api))).Keys);
    }

    [Fact]
    public async Task With_a_stripe_key_the_cli_forwards_to_the_api_webhook_and_the_key_is_a_secret_parameter()
    {
        await using var builder = await BuildModelAsync(
            "--Parameters:stripe-secret-key=sk_test_model", "--Parameters:stripe-webhook-secret=whsec_model", "--Stripe:Prices:pro=price_model_pro");

        var parameter = Assert.IsType<ParameterResource>(Assert.Single(builder.Resources, r => r.Name == StripeResources.SecretKeyParameter));
        Assert.True(parameter.Secret);
        var cli = Assert.Single(builder.Resources, r => r.Name == ResourceNames.StripeCli);
        Assert.True(cli is ExecutableResource or ContainerResource);
        if (cli is ContainerResource)
        {
            Assert.Equal(StripeResources.CliImage, cli.Annotations.OfType<ContainerImageAnnotation>().Single().Image);
        }

        var args = new List<object>();
        foreach (var callback in cli.Annotations.OfType<CommandLineArgsCallbackAnnotation>())
        {
            await callback.Callback(new CommandLineArgsCallbackContext(args));
        }

        Assert.Equal("listen", args[0]);
        var forwardTo = Assert.IsType<ReferenceExpression>(args[args.IndexOf("--forward-to") + 1]);
        Assert.EndsWith("/webhooks/stripe", forwardTo.Format);
        Assert.Contains(forwardTo.ValueProviders, p => p is EndpointReference e && e.Resource.Name == ResourceNames.Api);
        Assert.Contains("customer.subscription.updated", (string)args[args.IndexOf("--events") + 1]);
        Assert.Contains(ResourceNames.Api, cli.Annotations.OfType<WaitAnnotation>().Select(w => w.Resource.Name));
        Assert.Same(parameter, (await EnvironmentAsync(builder, cli))["STRIPE_API_KEY"]);

        foreach (var service in new[] { ResourceNames.Api, ResourceNames.Workers })
        {
            var environment = await EnvironmentAsync(builder, Assert.Single(builder.Resources, r => r.Name == service));
            Assert.Same(parameter, environment["Stripe__SecretKey"]);
            Assert.Equal("price_model_pro", environment["Stripe__Prices__pro"]);
        }

        var api = await EnvironmentAsync(builder, Assert.Single(builder.Resources, r => r.Name == ResourceNames.Api));
        Assert.Equal(StripeResources.WebhookSecretParameter, Assert.IsType<ParameterResource>(api["Stripe__WebhookSecret"]).Name);
    }
}
