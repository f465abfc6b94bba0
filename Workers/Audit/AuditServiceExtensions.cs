using Marten;
using Platform.Core.Audit;

namespace Platform.Workers.Audit;

public static class AuditServiceExtensions
{
    /// <summary>Marten on the shared data source (schema made by the migrations runner) and the job-log projector.</summary>
    public static IHostApplicationBuilder AddJobAudit(this IHostApplicationBuilder builder)
    {
        builder.Services.AddMarten(options => AuditStore.Configure(options)).UseNpgsqlDataSource();
        builder.Services.AddSingleton<JobAuditProjector>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<JobAuditProjector>());
        return builder;
    }
}
