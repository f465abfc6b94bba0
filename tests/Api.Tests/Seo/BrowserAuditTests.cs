using System.Diagnostics;
using System.Text.Json;
using Platform.Api.Features.Seo.Shared;
using Platform.Api.Tests.Discovery;
using Xunit.Abstractions;

namespace Platform.Api.Tests.Seo;

/// <summary>
/// The site as the browser checks see it: <see cref="SiteFixture"/>'s content, but every thumbnail and avatar served by
/// the Api itself (the share image), since this machine cannot reach the platforms' image hosts.
/// </summary>
public sealed class BrowserFixture : DiscoveryHost
{
    public (Guid Id, string Slug) Video { get; private set; }

    protected override async Task SeedAsync(DiscoveryData data)
    {
        var lena = await data.CreatorAsync("lena", displayName: "Lena Lab", bio: "Robots, servos and solder, filmed in a small workshop.");
        var omar = await data.CreatorAsync("omar", displayName: "Omar Audio", bio: "A podcast about making things.");
        var start = new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);
        for (var i = 0; i < 30; i++)
        {
            await data.ItemAsync(i % 3 == 0 ? omar : lena, $"Servo build log part {i}", publishedAt: start.AddHours(i), category: "technology",
                tags: ["robots"], clicks: i, description: $"Entry {i} of the build log: what worked, what broke.");
        }

        Video = await data.ItemAsync(lena, "Walking hexapod demo", publishedAt: start.AddDays(5), category: "technology", tags: ["robots", "hexapod"],
            description: "Six legs, twelve servos and a lot of patience.\nPart one of the series.");
        await data.ExecuteAsync("UPDATE content_item SET external_id = 'dQw4w9WgXcQ' WHERE id = @id", ("id", Video.Id));
        var image = BaseAddress.ToString().TrimEnd('/') + SiteAssets.ShareImagePath;
        await data.ExecuteAsync("UPDATE content_item SET thumbnail_url = @image", ("image", image));
        await data.ExecuteAsync("UPDATE users SET avatar_url = @image", ("image", image));
        await data.ExecuteAsync("""
            INSERT INTO trending_content (content_id, time_window, category_id, score, click_count)
            SELECT id, '24h', category_id, click_count + 1, click_count FROM content_item
            """);
        await data.ExecuteAsync("INSERT INTO featured_creator (user_id, position) VALUES (@id, 1)", ("id", omar));
    }
}

/// <summary>
/// axe-core (0 violations) and Lighthouse (mobile: Performance ≥ 95, Accessibility 100, Best Practices ≥ 95, SEO 100)
/// on the home, category, tag, search, item and creator pages, in the system Chromium driven by puppeteer-core
/// (tests/browser/audit.mjs, npm packages pinned in its lockfile), plus screenshots at 390 and 1280 px under
/// TestResults/site-screenshots. Skipped, saying why, only when Chromium or Node.js is missing. Runs alone (its own
/// collection, not in parallel with other test classes): Lighthouse's performance score measures the CPU it gets.
/// </summary>
[Collection(BrowserAuditCollection.Name)]
public sealed class BrowserAuditTests(BrowserFixture api, ITestOutputHelper output) : IClassFixture<BrowserFixture>
{
    public const int MinPerformance = 95;
    public const int MinBestPractices = 95;

    [SkippableFact]
    public async Task Every_page_has_no_axe_violations_and_meets_the_lighthouse_budgets()
    {
        var chromium = new[] { "/usr/bin/chromium", "/usr/bin/chromium-browser" }.FirstOrDefault(File.Exists);
        Skip.If(chromium is null, "Chromium is not installed (apt-get install chromium; .ci/run does it): the browser checks did not run.");
        var node = FindOnPath("node");
        Skip.If(node is null, "Node.js is not installed (apt-get install nodejs npm): the browser checks did not run.");
        var tools = Path.Combine(RepositoryRoot(), "tests", "browser");
        Assert.True(Directory.Exists(Path.Combine(tools, "node_modules", "lighthouse")),
            $"The browser checks' npm packages are not installed: run `npm ci` in {tools} (.ci/run does it).");
        var screenshots = Path.Combine(RepositoryRoot(), "TestResults", "site-screenshots");

        var pages = new Dictionary<string, string>
        {
            ["home"] = "/",
            ["category"] = "/category/technology",
            ["tag"] = "/tag/robots",
            ["search"] = "/search?q=servo",
            ["item"] = "/c/" + api.Video.Slug,
            ["creator"] = "/@lena",
        };
        var report = await RunAsync(node!, tools, chromium!, [Path.Combine(tools, "audit.mjs"), api.BaseAddress.ToString(), screenshots,
            .. pages.Select(p => $"{p.Key}={p.Value}")]);

        var failures = new List<string>();
        foreach (var page in report.RootElement.GetProperty("pages").EnumerateArray())
        {
            var name = page.GetProperty("name").GetString()!;
            var scores = page.GetProperty("lighthouse");
            int Score(string category) => scores.GetProperty(category).GetInt32();
            var failed = page.GetProperty("failedAudits");
            string Failed(string category) => string.Join(", ", failed.GetProperty(category).EnumerateArray().Select(a => a.GetString()));
            output.WriteLine($"{name,-9} performance {Score("performance"),3}  accessibility {Score("accessibility"),3}  " +
                             $"best practices {Score("best-practices"),3}  seo {Score("seo"),3}  axe violations {page.GetProperty("axe").GetArrayLength()}" +
                             $"  (Lighthouse runs: {page.GetProperty("lighthouseRuns").GetInt32()})");
            foreach (var category in new[] { "performance", "accessibility", "best-practices", "seo" })
            {
                if (Failed(category) is { Length: > 0 } list)
                {
                    output.WriteLine($"          {category} below 1: {list}");
                }
            }

            foreach (var violation in page.GetProperty("axe").EnumerateArray())
            {
                failures.Add($"{name}: axe {violation.GetProperty("id").GetString()} ({violation.GetProperty("impact")}): {violation.GetProperty("nodes")}");
            }

            foreach (var error in page.GetProperty("consoleErrors").EnumerateArray())
            {
                failures.Add($"{name}: console error {error.GetString()}");
            }

            if (Score("performance") < MinPerformance)
            {
                failures.Add($"{name}: performance {Score("performance")} < {MinPerformance} ({Failed("performance")})");
            }

            if (Score("accessibility") < 100)
            {
                failures.Add($"{name}: accessibility {Score("accessibility")} ({Failed("accessibility")})");
            }

            if (Score("best-practices") < MinBestPractices)
            {
                failures.Add($"{name}: best practices {Score("best-practices")} ({Failed("best-practices")})");
            }

            // Result pages are noindex on purpose (the issue asks for it), which Lighthouse's is-crawlable audit scores
            // as a failure: there, that is the only SEO audit allowed to fail.
            var seoFailures = failed.GetProperty("seo").EnumerateArray().Select(a => a.GetString()!)
                .Where(a => !(name == "search" && a.StartsWith("is-crawlable", StringComparison.Ordinal))).ToList();
            if (seoFailures.Count > 0)
            {
                failures.Add($"{name}: seo {Score("seo")} ({string.Join(", ", seoFailures)})");
            }
        }

        output.WriteLine($"Screenshots (390 and 1280 px wide): {screenshots}");
        Assert.Empty(failures);
    }

    private async Task<JsonDocument> RunAsync(string node, string workingDirectory, string chromium, IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo(node)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            Environment = { ["CHROMIUM"] = chromium, ["LH_MIN_PERFORMANCE"] = MinPerformance.ToString(System.Globalization.CultureInfo.InvariantCulture) },
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(8));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException("tests/browser/audit.mjs did not finish in 8 minutes");
        }

        var text = await stdout;
        Assert.True(process.ExitCode == 0, $"audit.mjs exited with {process.ExitCode}: {await stderr}");
        return JsonDocument.Parse(text.Trim().Split('\n')[^1]);
    }

    private static string? FindOnPath(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator)
        .Select(directory => Path.Combine(directory, program))
        .FirstOrDefault(File.Exists);

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Aspire.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("The repository root (Aspire.sln) is not above " + AppContext.BaseDirectory);
    }
}

/// <summary>The browser checks run after the parallel test classes, alone.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class BrowserAuditCollection
{
    public const string Name = "Browser audits";
}
