using System.Text.Json.Nodes;
using Platform.Core.Jobs;
using Platform.Core.Jobs.Args;
using Platform.Workers.Queue;

namespace Platform.Workers.Handlers;

/// <summary>
/// Diagnostic job types <c>echo</c> (<see cref="EchoArgs"/>) and <c>echo_cached</c> (<see cref="EchoCachedArgs"/>):
/// returns the payload as stored, every property included. <c>delay_ms</c> sleeps (cancellable), <c>fail_times</c>
/// fails the first N attempts, <c>progress_steps</c> reports progress that many times along the delay.
/// </summary>
public sealed class EchoHandler<TArgs> : JobHandler<TArgs>
    where TArgs : class, IEchoArgs, IJobArgs<TArgs>
{
    protected override Task<JsonNode?> HandleAsync(TArgs args, JobContext context, CancellationToken cancellationToken)
    {
        if (args.ProgressSteps > 0 || args.DelayMs > 0)
        {
            return WaitThenEchoAsync(args, context, cancellationToken);
        }

        try
        {
            return Task.FromResult(Echo(args, context));
        }
        catch (JobFailureException failure)
        {
            return Task.FromException<JsonNode?>(failure);
        }
    }

    private static async Task<JsonNode?> WaitThenEchoAsync(TArgs args, JobContext context, CancellationToken cancellationToken)
    {
        if (args.ProgressSteps > 0)
        {
            for (var step = 1; step <= args.ProgressSteps; step++)
            {
                await Task.Delay(args.DelayMs / args.ProgressSteps, cancellationToken);
                await context.ReportProgressAsync(step * 100 / args.ProgressSteps, $"step {step} of {args.ProgressSteps}", cancellationToken);
            }
        }
        else
        {
            await Task.Delay(args.DelayMs, cancellationToken);
        }

        return Echo(args, context);
    }

    /// <summary>The payload as stored (an object node over the element itself, not parsed again), or the failure asked for.</summary>
    private static JsonNode? Echo(TArgs args, JobContext context) =>
        context.Attempt <= args.FailTimes
            ? throw new JobFailureException($"echo was asked to fail {args.FailTimes} time(s); this is attempt {context.Attempt}")
            : JsonObject.Create(context.Payload);
}
