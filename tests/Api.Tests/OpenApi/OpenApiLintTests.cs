using System.Diagnostics;
using System.Text.Json;

namespace Platform.Api.Tests.OpenApi;

/// <summary>
/// <c>redocly lint</c> (npm <c>@redocly/cli</c> <see cref="Redocly.Version"/>, the <c>recommended</c> ruleset) finds
/// no error and no warning in <c>/swagger/v1/swagger.json</c>.
/// </summary>
public sealed class OpenApiLintTests(ApiHost api) : IClassFixture<ApiHost>
{
    [Fact]
    public async Task Anonymous_operations_require_nothing_and_the_others_the_bearer_scheme()
    {
        using var client = api.CreateClient();
        using var document = JsonDocument.Parse(await client.GetStringAsync("/swagger/v1/swagger.json"));
        var paths = document.RootElement.GetProperty("paths");

        string Security(string path, string method) =>
            string.Concat(paths.GetProperty(path).GetProperty(method).GetProperty("security").GetRawText()
                .Where(c => !char.IsWhiteSpace(c)));

        Assert.Equal("[{}]", Security("/api/public/trending", "get"));
        Assert.Equal("[{}]", Security("/webhooks/stripe", "post"));
        Assert.Contains("JWTBearerAuth", Security("/api/jobs", "post"));
        Assert.DoesNotContain("{}", Security("/api/jobs", "post"));
    }

    [Fact]
    public async Task Every_cached_public_get_declares_304_and_429()
    {
        using var client = api.CreateClient();
        using var document = JsonDocument.Parse(await client.GetStringAsync("/swagger/v1/swagger.json"));
        var cached = new List<string>();
        foreach (var path in document.RootElement.GetProperty("paths").EnumerateObject())
        {
            if (!path.Value.TryGetProperty("get", out var get) || path.Name == "/robots.txt"
                || !get.GetProperty("tags").EnumerateArray().Any(t => t.GetString() is "Discovery" or "Seo"))
            {
                continue; // robots.txt has no ETag; the other GETs are not served from the public cache
            }

            cached.Add(path.Name);
            var responses = get.GetProperty("responses");
            Assert.True(responses.TryGetProperty("304", out _), $"GET {path.Name} does not declare 304");
            Assert.True(responses.TryGetProperty("429", out var tooMany), $"GET {path.Name} does not declare 429");
            Assert.True(tooMany.GetProperty("content").TryGetProperty("application/problem+json", out _), $"GET {path.Name}: 429 is not a problem detail");
        }

        Assert.Contains("/api/public/content/{slug}", cached);
        Assert.Contains("/sitemap.xml", cached);
        Assert.Equal(16, cached.Count); // 7 JSON endpoints, 6 HTML pages, the sitemap index and shards, the site's assets
    }

    [RedoclyFact]
    public async Task Redocly_lint_with_the_recommended_rules_finds_nothing_in_the_openapi_document()
    {
        using var client = api.CreateClient();
        var directory = Directory.CreateTempSubdirectory("openapi-lint-");
        try
        {
            var document = Path.Combine(directory.FullName, "swagger.json");
            await File.WriteAllTextAsync(document, await client.GetStringAsync("/swagger/v1/swagger.json"));
            var config = Path.Combine(directory.FullName, "redocly.yaml");
            await File.WriteAllTextAsync(config, "extends:\n  - recommended\n");

            var (exitCode, output, error) = await Redocly.RunAsync(
                directory.FullName, "lint", document, "--config", config, "--format", "json");

            using var report = JsonDocument.Parse(output[output.IndexOf('{')..]);
            var totals = report.RootElement.GetProperty("totals");
            var problems = report.RootElement.GetProperty("problems").EnumerateArray()
                .Select(p => $"{p.GetProperty("severity").GetString()} {p.GetProperty("ruleId").GetString()}: "
                             + $"{p.GetProperty("message").GetString()} at "
                             + string.Join(", ", p.GetProperty("location").EnumerateArray().Select(l => l.GetProperty("pointer").GetString())))
                .ToList();
            Assert.True(problems.Count == 0, "redocly lint:\n" + string.Join("\n", problems) + "\n" + error);
            Assert.Equal(0, totals.GetProperty("errors").GetInt32());
            Assert.Equal(0, totals.GetProperty("warnings").GetInt32());
            Assert.Equal(0, exitCode);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }
}

/// <summary>
/// The redocly CLI, installed on first use with <c>npm install --prefix</c> into
/// <c>~/.cache/platform-tests/redocly</c> (outside the repository; reused by later runs).
/// </summary>
public static class Redocly
{
    public const string Version = "2.77.0";

    private static readonly string Prefix = Path.Combine(
        Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "platform-tests", "redocly", Version);

    private static string Cli => Path.Combine(Prefix, "node_modules", "@redocly", "cli", "bin", "cli.js");

    /// <summary>Null when the CLI is ready, else why not (no node or npm, or the install failed, e.g. offline).</summary>
    public static readonly Lazy<string?> Unavailable = new(Install);

    private static string? Install()
    {
        if (Run(".", "node", "--version").ExitCode != 0)
        {
            return "node is not installed: redocly lint of the OpenAPI document skipped";
        }

        if (File.Exists(Cli))
        {
            return null;
        }

        if (Run(".", "npm", "--version").ExitCode != 0)
        {
            return "npm is not installed: redocly lint of the OpenAPI document skipped";
        }

        Directory.CreateDirectory(Prefix);
        var install = Run(Prefix, "npm", "install", "--prefix", Prefix, "--no-audit", "--no-fund", "--no-save", $"@redocly/cli@{Version}");
        return install.ExitCode == 0 && File.Exists(Cli)
            ? null
            : $"npm install @redocly/cli@{Version} failed (offline?): redocly lint of the OpenAPI document skipped. {install.Error}";
    }

    public static Task<(int ExitCode, string Output, string Error)> RunAsync(string workingDirectory, params string[] arguments) =>
        Task.Run(() => Run(workingDirectory, "node", [Cli, .. arguments]));

    private static (int ExitCode, string Output, string Error) Run(string workingDirectory, string fileName, params string[] arguments)
    {
        var start = new ProcessStartInfo(fileName)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        // No telemetry or update check from a test run.
        start.Environment["REDOCLY_TELEMETRY"] = "off";
        start.Environment["REDOCLY_SUPPRESS_UPDATE_NOTICE"] = "true";
        try
        {
            using var process = Process.Start(start)!;
            var output = process.StandardOutput.ReadToEndAsync();
            var error = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(TimeSpan.FromMinutes(5)))
            {
                process.Kill(entireProcessTree: true);
                return (-1, output.Result, "timed out after 5 minutes");
            }

            return (process.ExitCode, output.Result, error.Result);
        }
        catch (System.ComponentModel.Win32Exception exception)
        {
            return (-1, string.Empty, exception.Message);
        }
    }
}

/// <summary>A fact skipped, with the reason, when the redocly CLI cannot be installed.</summary>
public sealed class RedoclyFactAttribute : FactAttribute
{
    public RedoclyFactAttribute()
    {
        if (Redocly.Unavailable.Value is { } reason)
        {
            Skip = reason;
        }
    }
}
