using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Platform.Api.Tests;

public class ServiceDefaultsTests
{
    [Fact]
    public void Telemetry_goes_to_azure_monitor_only_when_an_application_insights_connection_string_is_set()
    {
        Assert.False(UsesAzureMonitor(null));
        Assert.True(UsesAzureMonitor("InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=https://127.0.0.1:1/"));
    }

    private static bool UsesAzureMonitor(string? connectionString)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration[ServiceDefaultsExtensions.ApplicationInsightsConnectionStringKey] = connectionString;
        builder.AddServiceDefaults();
        return builder.Services.Any(service =>
            (service.ServiceType.Namespace?.StartsWith("Azure.Monitor", StringComparison.Ordinal) ?? false)
            || (service.ImplementationType?.Namespace?.StartsWith("Azure.Monitor", StringComparison.Ordinal) ?? false));
    }
}
