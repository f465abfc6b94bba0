using Marten;
using Platform.Core.Audit;
using Platform.Core.Data;

namespace Platform.Workers.Audit;

public static class AuditServiceExtensions
{
    /// <summary>Marten on the shared data source (schema made by the migrations runner) and the projectors of the job log and the billing log.</summary>
    public static IHostApplicationBuilder AddJobAudit(this IHostApplicationBuilder builder)
    {
        builder.Services.AddMarten(options => AuditStore.Configure(options)).UseNpgsqlDataSource();
        builder.Services.AddSchemaReadiness();
        builder.Services.AddSingleton<JobAuditProjector>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<JobAuditProjector>());
        builder.Services.AddSingleton<BillingAuditProjector>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<BillingAuditProjector>());
        return builder;
    }
}
