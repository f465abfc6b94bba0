using Platform.Core.Jobs;

namespace Platform.Workers.Queue;

public static class JobHandlerRegistration
{
    /// <summary>Registers the handler of a job type (its policies come from <see cref="JobTypes"/>).</summary>
    public static IServiceCollection AddJobHandler<THandler>(this IServiceCollection services, string jobType)
        where THandler : class, IJobHandler
    {
        if (!JobTypes.TryGet(jobType, out _))
        {
            throw new InvalidOperationException($"Job type '{jobType}' is not in Core/Jobs/JobTypes.cs.");
        }

        services.AddKeyedScoped<IJobHandler, THandler>(jobType);
        return services;
    }
}
