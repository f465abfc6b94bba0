using FluentValidation;

namespace Platform.Core.Jobs.Args;

/// <summary>
/// Diagnostic <c>echo</c>: the payload comes back as the result. Any other properties are kept and echoed.
/// </summary>
/// <param name="DelayMs">Sleeps this long (cancellable), 0 to <see cref="MaxDelayMs"/> (600,000) ms.</param>
/// <param name="FailTimes">Fails the first N attempts, 0-100.</param>
/// <param name="ProgressSteps">Reports progress this many times along the delay, 0-100.</param>
public sealed record EchoArgs(int DelayMs = 0, int FailTimes = 0, int ProgressSteps = 0) : IEchoArgs, IJobArgs<EchoArgs>
{
    public const string Kind = "echo";

    /// <summary>The longest <c>delay_ms</c> accepted: 10 minutes.</summary>
    public const int MaxDelayMs = 600_000;

    /// <summary>The time limit is the longest delay plus a minute, so an accepted delay never times out (and retries).</summary>
    public static JobTypeDefinition Definition { get; } = new()
    {
        Name = Kind,
        MaxAttempts = 3,
        Timeout = TimeSpan.FromMilliseconds(MaxDelayMs) + TimeSpan.FromMinutes(1),
        Access = JobAccess.AdminOrDevelopment,
        RetryBase = TimeSpan.FromMilliseconds(200),
    };

    public static IValidator<EchoArgs> Validator { get; } = new EchoArgsValidator<EchoArgs>();
}

/// <summary>Diagnostic <c>echo_cached</c>: <see cref="EchoArgs"/> whose result is cached for 10 minutes per identical payload.</summary>
public sealed record EchoCachedArgs(int DelayMs = 0, int FailTimes = 0, int ProgressSteps = 0) : IEchoArgs, IJobArgs<EchoCachedArgs>
{
    public const string Kind = "echo_cached";

    public static JobTypeDefinition Definition { get; } = EchoArgs.Definition with { Name = Kind, CacheTtl = TimeSpan.FromMinutes(10) };

    public static IValidator<EchoCachedArgs> Validator { get; } = new EchoArgsValidator<EchoCachedArgs>();
}

/// <summary>What <c>echo</c> and <c>echo_cached</c> share (one handler runs both).</summary>
public interface IEchoArgs
{
    int DelayMs { get; }

    int FailTimes { get; }

    int ProgressSteps { get; }
}

/// <summary>The bounds of <see cref="IEchoArgs"/>'s numbers.</summary>
public sealed class EchoArgsValidator<TArgs> : AbstractValidator<TArgs>
    where TArgs : IEchoArgs
{
    public EchoArgsValidator()
    {
        RuleFor(a => a.DelayMs).InclusiveBetween(0, EchoArgs.MaxDelayMs).WithMessage($"must be an integer from 0 to {EchoArgs.MaxDelayMs}");
        RuleFor(a => a.FailTimes).InclusiveBetween(0, 100).WithMessage("must be an integer from 0 to 100");
        RuleFor(a => a.ProgressSteps).InclusiveBetween(0, 100).WithMessage("must be an integer from 0 to 100");
    }
}
