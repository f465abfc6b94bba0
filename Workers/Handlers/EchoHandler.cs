using System.Text.Json;
using System.Text.Json.Nodes;
using Platform.Core.Jobs;
using Platform.Workers.Queue;

namespace Platform.Workers.Handlers;

/// <summary>
/// Diagnostic job type <c>echo</c>: returns its payload. <c>delay_ms</c> sleeps (cancellable), <c>fail_times</c> fails
/// the first N attempts, <c>progress_steps</c> reports progress that many times along the delay.
/// </summary>
public sealed class EchoHandler : IJobHandler
{
    public async Task<JsonNode?> HandleAsync(JobContext context, CancellationToken cancellationToken)
    {
        var payload = context.Payload;
        var delayMs = ReadInt(payload, "delay_ms");
        var failTimes = ReadInt(payload, "fail_times");
        var steps = ReadInt(payload, "progress_steps");

        if (steps > 0)
        {
            for (var step = 1; step <= steps; step++)
            {
                await Task.Delay(delayMs / steps, cancellationToken);
                await context.ReportProgressAsync(step * 100 / steps, $"step {step} of {steps}", cancellationToken);
            }
        }
        else if (delayMs > 0)
        {
            await Task.Delay(delayMs, cancellationToken);
        }

        if (context.Attempt <= failTimes)
        {
            throw new JobFailureException($"echo was asked to fail {failTimes} time(s); this is attempt {context.Attempt}");
        }

        return JsonNode.Parse(payload.GetRawText());
    }

    private static int ReadInt(JsonElement payload, string name) =>
        payload.ValueKind == JsonValueKind.Object && payload.TryGetProperty(name, out var value) && value.TryGetInt32(out var number) ? number : 0;
}
