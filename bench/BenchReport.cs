using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Platform.Bench;

/// <summary>Prints each measurement as one line <c>BENCH {json}</c>: the bench name, the system, the figures.</summary>
public static class BenchReport
{
    private static readonly JsonSerializerOptions Options = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public static JsonObject System(string? postgresVersion = null) => new()
    {
        ["machine"] = Environment.MachineName,
        ["cores"] = Environment.ProcessorCount,
        ["os"] = RuntimeInformation.OSDescription,
        ["dotnet"] = RuntimeInformation.FrameworkDescription,
        ["postgres"] = postgresVersion,
    };

    public static void Print(string bench, JsonObject system, JsonObject figures)
    {
        var line = new JsonObject { ["bench"] = bench, ["system"] = system.DeepClone() };
        foreach (var (key, value) in figures)
        {
            line[key] = value?.DeepClone();
        }

        Console.WriteLine("BENCH " + line.ToJsonString(Options));
    }

    public static double Median(IReadOnlyList<double> values) => Percentile(values, 50);

    public static double Percentile(IReadOnlyList<double> values, double percentile)
    {
        if (values.Count == 0)
        {
            return double.NaN;
        }

        var sorted = values.Order().ToArray();
        var rank = percentile / 100 * (sorted.Length - 1);
        var low = (int)Math.Floor(rank);
        var high = (int)Math.Ceiling(rank);
        return sorted[low] + (sorted[high] - sorted[low]) * (rank - low);
    }
}
