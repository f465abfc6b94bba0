using Platform.Bench;

// dotnet run -c Release --project bench -- <suite> [--runs N] [--jobs N]
// Connection strings: ConnectionStrings__platformdb (a role that may create databases), ConnectionStrings__cache.
var suites = new Dictionary<string, Func<string, Dictionary<string, string>, Task>>
{
    ["migrations"] = (cs, o) => MigrationsBench.RunAsync(cs, Option(o, "runs", 5)),
    ["queue"] = (cs, o) => QueueBench.RunAsync(cs, Option(o, "jobs", 100_000)),
};

var suite = args.FirstOrDefault(a => !a.StartsWith('-'));
if (suite is null || !suites.TryGetValue(suite, out var run))
{
    Console.Error.WriteLine($"Usage: bench <suite> [--runs N] [--jobs N]   suites: {string.Join(", ", suites.Keys)}");
    return 2;
}

var connectionString = Environment.GetEnvironmentVariable("ConnectionStrings__platformdb");
if (string.IsNullOrWhiteSpace(connectionString))
{
    Console.Error.WriteLine("Set ConnectionStrings__platformdb to a PostgreSQL server where this role may create databases.");
    return 2;
}

var options = new Dictionary<string, string>();
for (var i = 0; i < args.Length - 1; i++)
{
    if (args[i].StartsWith("--", StringComparison.Ordinal))
    {
        options[args[i][2..]] = args[i + 1];
    }
}

await run(connectionString, options);
return 0;

static int Option(Dictionary<string, string> options, string name, int fallback) =>
    options.TryGetValue(name, out var text) && int.TryParse(text, out var value) && value > 0 ? value : fallback;
