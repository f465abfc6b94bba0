using System.Reflection;
using Platform.Core.Jobs;

namespace Platform.Workers.Queue;

/// <summary>
/// Which handler class runs <paramref name="JobType"/>: registered by <see cref="JobHandlerRegistration.AddJobHandler{THandler}"/>
/// next to the keyed service, so the engine can tell once per job type whether a handler needs a DI scope at all.
/// </summary>
public sealed record JobHandlerType(string JobType, Type HandlerType);

public static class JobHandlerRegistration
{
    /// <summary>
    /// Registers <typeparamref name="THandler"/> (scoped, one instance per job) as the handler of the job type of its
    /// args: <c>services.AddJobHandler&lt;SyncYouTubeHandler&gt;()</c> handles <see cref="Core.Jobs.Args.SyncYouTubeArgs.Kind"/>.
    /// </summary>
    /// <exception cref="InvalidOperationException">
    /// <typeparamref name="THandler"/> does not derive from <see cref="JobHandler{TArgs}"/>, or its args type is not listed in
    /// <see cref="JobTypes"/>.
    /// </exception>
    public static IServiceCollection AddJobHandler<THandler>(this IServiceCollection services)
        where THandler : class, IJobHandler
    {
        var argsType = ArgsTypeOf(typeof(THandler))
            ?? throw new InvalidOperationException($"{typeof(THandler).Name} does not derive from JobHandler<TArgs>.");
        var definition = (JobTypeDefinition)typeof(JobHandlerRegistration)
            .GetMethod(nameof(DefinitionOf), BindingFlags.NonPublic | BindingFlags.Static)!
            .MakeGenericMethod(argsType)
            .Invoke(null, null)!;
        if (!JobTypes.TryGet(definition.Name, out var listed) || !ReferenceEquals(listed, definition))
        {
            throw new InvalidOperationException($"Job type '{definition.Name}' ({argsType.Name}) is not listed in Core/Jobs/JobTypes.cs.");
        }

        services.AddKeyedScoped<IJobHandler, THandler>(definition.Name);
        services.AddSingleton(new JobHandlerType(definition.Name, typeof(THandler)));
        return services;
    }

    private static Type? ArgsTypeOf(Type handler)
    {
        for (var type = handler; type is not null; type = type.BaseType)
        {
            if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(JobHandler<>))
            {
                return type.GetGenericArguments()[0];
            }
        }

        return null;
    }

    private static JobTypeDefinition DefinitionOf<TArgs>()
        where TArgs : class, IJobArgs<TArgs> => TArgs.Definition;
}
