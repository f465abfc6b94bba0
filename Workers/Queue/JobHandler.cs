using System.Text.Json.Nodes;
using Platform.Core.Jobs;

namespace Platform.Workers.Queue;

/// <summary>
/// The base of every handler (<c>Handlers/&lt;JobType&gt;Handler.cs</c>): runs the job type of
/// <typeparamref name="TArgs"/> (registered with <see cref="JobHandlerRegistration.AddJobHandler{THandler}"/>, which
/// reads the type's name from the args). The payload is bound by type once per attempt with
/// <see cref="JobPayload.Bind{TArgs}"/>; one that does not bind fails the job permanently (retrying the same bytes cannot
/// help), naming the fields, e.g. <c>The tag_content payload does not fit: payload.content_ids[2] must be a uuid</c>.
/// The args' validator is the Api's gate (<see cref="JobPayload"/>), not run here.
/// </summary>
public abstract class JobHandler<TArgs> : IJobHandler
    where TArgs : class, IJobArgs<TArgs>
{
    Task<JsonNode?> IJobHandler.HandleAsync(JobContext context, CancellationToken cancellationToken)
    {
        var binding = JobPayload.Bind<TArgs>(context.Payload);
        return binding.Args is { } args
            ? HandleAsync(args, context, cancellationToken)
            : Task.FromException<JsonNode?>(new PermanentJobFailureException($"The {TArgs.Definition.Name} payload does not fit: {binding.Summary}"));
    }

    /// <summary>Runs one attempt with the bound <paramref name="args"/>; the contract of <see cref="IJobHandler"/> otherwise.</summary>
    protected abstract Task<JsonNode?> HandleAsync(TArgs args, JobContext context, CancellationToken cancellationToken);
}
