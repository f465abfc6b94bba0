using System.Runtime.InteropServices;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Platform.Bench;

/// <summary>
/// Prints each measurement as one line <c>BENCH {json}</c>: the bench name, the system (one descriptive string such as
/// <c>"2 cores, Debian 12, .NET 10.0.12, PostgreSQL 15.18"</c>), the figures.
/// </summary>
public static class BenchReport
{
    private static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, // readable on a console: "+" and "'" unescaped
    };

    /// <summary>The machine as one string: cores, OS, .NET runtime and (when given) the PostgreSQL server version.</summary>
    /// <param name="postgresVersion">The server's <c>SHOW server_version</c>; only its first word is kept.</param>
    public static string System(string? postgresVersion = null)
    {
        var parts = new List<string>
        {
            $"{Environment.ProcessorCount} cores",
            OperatingSystemName(),
            $".NET {Environment.Version}",
        };
        if (!string.IsNullOrWhiteSpace(postgresVersion))
        {
            parts.Add($"PostgreSQL {postgresVersion.Trim().Split(' ', 2)[0]}");
        }

        return string.Join(", ", parts);
    }

    public static void Print(string bench, string system, JsonObject figures)
    {
        var line = new JsonObject { ["bench"] = bench, ["system"] = system };
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

    /// <summary>"Debian 12" from /etc/os-release (ID and VERSION_ID); elsewhere the runtime's OS description.</summary>
    private static string OperatingSystemName()
    {
        try
        {
            if (File.Exists("/etc/os-release"))
            {
                var fields = File.ReadAllLines("/etc/os-release")
                    .Select(line => line.Split('=', 2))
                    .Where(pair => pair.Length == 2)
                    .GroupBy(pair => pair[0])
                    .ToDictionary(group => group.Key, group => group.First()[1].Trim('"'));
                if (fields.TryGetValue("ID", out var id) && id.Length > 0)
                {
                    var name = char.ToUpperInvariant(id[0]) + id[1..];
                    return fields.TryGetValue("VERSION_ID", out var version) ? $"{name} {version}" : name;
                }
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }

        return RuntimeInformation.OSDescription;
    }
}
