using FluentValidation;

namespace Platform.Core.Jobs;

/// <summary>
/// The arguments of one job: a value whose job type is known from its type. Enqueue it with
/// <see cref="JobQueueClient"/>; the Workers' handler of that type receives it deserialized (<see cref="JobPayload"/>).
/// </summary>
public interface IJobArgs
{
    /// <summary>The job type of this value (its type's <see cref="IJobArgs{TSelf}.Definition"/>).</summary>
    JobTypeDefinition JobType { get; }
}

/// <summary>
/// A job type's arguments as a C# record: its properties are the payload (snake_case JSON, <see cref="JobPayload"/>),
/// and the type carries the job type's name and policies, so each job type is declared in one place
/// (<c>Core/Jobs/Args/&lt;Name&gt;Args.cs</c>, listed in <see cref="JobTypes"/>). The shape of River's <c>JobArgs.Kind()</c>
/// and <c>JobArgsWithInsertOpts.InsertOpts()</c>, as static members.
/// </summary>
public interface IJobArgs<TSelf> : IJobArgs
    where TSelf : class, IJobArgs<TSelf>
{
    /// <summary>The job type: wire name (<c>job_queue.job_type</c>), queue, attempts, timeout, retry, cache and access policy.</summary>
    static abstract JobTypeDefinition Definition { get; }

    /// <summary>Rules the payload must meet beyond its types (ranges, lengths); null when the types say it all.</summary>
    static virtual IValidator<TSelf>? Validator => null;

    JobTypeDefinition IJobArgs.JobType => TSelf.Definition;
}
