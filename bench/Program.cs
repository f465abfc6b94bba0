using Platform.Bench;

// dotnet run -c Release --project bench -- <suite> [--runs N]
//   seed --creators N --items M --clicks K     public [--seconds S] [--connections C]
// Connection strings: ConnectionStrings__platformdb (a role that may create databases), ConnectionStrings__cache.
var suites = new Dictionary<string, Func<string, int, Task>>
{
    ["migrations"] = MigrationsBench.RunAsync,
    ["seed"] = (connectionString, _) => SeedBench.RunAsync(connectionString, args),
    ["public"] = (connectionString, _) => PublicApiBench.RunAsync(connectionString, args),
};

var suite = args.FirstOrDefault(a => !a.StartsWith('-'));
if (suite is null || !suites.TryGetValue(suite, out var run))
{
    Console.Error.WriteLine($"Usage: bench <suite> [options]   suites: {string.Join(", ", suites.Keys)}");
    return 2;
}

var connectionString = Environment.GetEnvironmentVariable("ConnectionStrings__platformdb");
if (string.IsNullOrWhiteSpace(connectionString))
{
    Console.Error.WriteLine("Set ConnectionStrings__platformdb to a PostgreSQL server where this role may create databases.");
    return 2;
}

var runsIndex = Array.IndexOf(args, "--runs");
var runs = runsIndex >= 0 && runsIndex + 1 < args.Length && int.TryParse(args[runsIndex + 1], out var n) && n > 0 ? n : 5;
await run(connectionString, runs);
return 0;
