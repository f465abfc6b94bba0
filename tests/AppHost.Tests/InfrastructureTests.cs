using System.Diagnostics;
using System.Reflection;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Platform.AppHost.Tests;

/// <summary>
/// infra/ (what `azd up` provisions), checked offline with the Bicep CLI from NuGet (Azure.Bicep.CommandLine.linux-x64):
/// it builds and lints with no diagnostics, and the compiled ARM template holds the topology the README describes.
/// </summary>
public sealed partial class InfrastructureTests
{
    private static readonly string RepositoryRoot = Metadata("RepositoryRoot");
    private static readonly string Bicep = Metadata("BicepPath");
    private static readonly Lazy<Task<JsonObject>> Compiled = new(CompileAsync);

    [Fact]
    public async Task Bicep_builds_and_lints_every_file_with_no_errors_and_no_warnings()
    {
        var build = await RunBicepAsync("build", Path.Combine("infra", "main.bicep"), "--stdout");
        Assert.True(build.ExitCode == 0, build.Errors);
        Assert.Equal(string.Empty, build.Errors.Trim());

        // Linting main.bicep lints every module it uses; every file under infra/ is one of them.
        var lint = await RunBicepAsync("lint", Path.Combine("infra", "main.bicep"));
        Assert.True(lint.ExitCode == 0 && lint.Output.Trim().Length == 0 && lint.Errors.Trim().Length == 0, lint.Output + lint.Errors);
        var files = Directory.GetFiles(Path.Combine(RepositoryRoot, "infra"), "*.bicep", SearchOption.AllDirectories);
        var sources = string.Join('\n', files.Select(File.ReadAllText));
        Assert.DoesNotContain(files, f => Path.GetFileName(f) != "main.bicep" && !sources.Contains($"{Path.GetFileName(f)}'", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_database_is_a_flexible_server_with_every_migration_extension_allowed_backups_ha_and_max_connections()
    {
        var template = await Compiled.Value;
        var (server, postgres) = Single(template, "Microsoft.DBforPostgreSQL/flexibleServers");
        var properties = server["properties"]!;
        Assert.Equal("[parameters('backupRetentionDays')]", properties["backup"]!["backupRetentionDays"]!.GetValue<string>());
        Assert.Contains("ZoneRedundant", properties["highAvailability"]!["mode"]!.GetValue<string>());
        Assert.Equal("Enabled", properties["storage"]!["autoGrow"]!.GetValue<string>());
        var versions = template["parameters"]!["postgresVersion"]!["allowedValues"]!.AsArray().Select(v => int.Parse(v!.GetValue<string>()));
        Assert.All(versions, v => Assert.True(v >= 16));
        var retention = template["parameters"]!["postgresBackupRetentionDays"]!;
        Assert.Equal(7, retention["minValue"]!.GetValue<int>());
        Assert.Equal(35, retention["maxValue"]!.GetValue<int>());

        var configurations = Resources(template).Where(r => Type(r.Resource) == "Microsoft.DBforPostgreSQL/flexibleServers/configurations")
            .Select(r => r.Resource["name"]!.GetValue<string>()).ToList();
        Assert.Contains(configurations, n => n.Contains("'azure.extensions'"));
        Assert.Contains(configurations, n => n.Contains("'max_connections'"));
        Assert.Single(Resources(template), r => Type(r.Resource) == "Microsoft.DBforPostgreSQL/flexibleServers/databases");

        // Every extension a migration creates is allow-listed (Azure refuses CREATE EXTENSION otherwise).
        var allowed = postgres["variables"]!["allowedExtensions"]!.AsArray().Select(e => e!.GetValue<string>().ToLowerInvariant()).ToHashSet();
        var created = Directory.GetFiles(Path.Combine(RepositoryRoot, "Migrations", "Scripts"), "*.sql")
            .SelectMany(f => CreateExtension().Matches(File.ReadAllText(f)).Select(m => m.Groups["name"].Value.Trim('"').ToLowerInvariant()))
            .ToHashSet();
        Assert.NotEmpty(created);
        Assert.Subset(allowed, created);
    }

    [Fact]
    public async Task Redis_is_managed_and_tls_only()
    {
        var template = await Compiled.Value;
        Single(template, "Microsoft.Cache/redisEnterprise");
        var (database, _) = Single(template, "Microsoft.Cache/redisEnterprise/databases");
        Assert.Equal("Encrypted", database["properties"]!["clientProtocol"]!.GetValue<string>());
        Assert.DoesNotContain(Resources(template), r => Type(r.Resource).StartsWith("Microsoft.App/", StringComparison.Ordinal)
            && r.Resource.ToJsonString().Contains("redis:", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task Key_vault_holds_every_secret_and_the_environment_has_logs_a_registry_and_one_identity()
    {
        var template = await Compiled.Value;
        var (vault, _) = Single(template, "Microsoft.KeyVault/vaults");
        Assert.True(vault["properties"]!["enableRbacAuthorization"]!.GetValue<bool>());
        var secrets = Resources(template).Where(r => Type(r.Resource) == "Microsoft.KeyVault/vaults/secrets")
            .Select(r => SecretName().Match(r.Resource["name"]!.GetValue<string>()).Groups["name"].Value).ToHashSet();
        Assert.Subset(secrets, new HashSet<string>
        {
            "platformdb-connection-string", "postgres-admin-password", "cache-connection-string", "auth-signing-key",
            "visitor-hash-salt", "stripe-secret-key", "stripe-webhook-secret", "youtube-api-key", "tagging-api-key",
        });

        var (environment, _) = Single(template, "Microsoft.App/managedEnvironments");
        Assert.Equal("log-analytics", environment["properties"]!["appLogsConfiguration"]!["destination"]!.GetValue<string>());
        Single(template, "Microsoft.OperationalInsights/workspaces");
        Single(template, "Microsoft.Insights/components");
        Single(template, "Microsoft.ContainerRegistry/registries");
        Single(template, "Microsoft.ManagedIdentity/userAssignedIdentities");
    }

    [Fact]
    public async Task Api_and_workers_are_container_apps_with_probes_scale_rules_and_key_vault_secret_references()
    {
        var template = await Compiled.Value;
        // api and workers deploy the same module (modules/container-app.bicep).
        var (app, _) = Single(Deployment(template, "api")["properties"]!["template"]!.AsObject(), "Microsoft.App/containerApps");
        Assert.Equal(2, Resources(template).Count(r => Type(r.Resource) == "Microsoft.App/containerApps"));
        var configuration = app["properties"]!["configuration"]!;
        Assert.Contains("secrets/", configuration.ToJsonString());
        Assert.Contains("keyVaultUrl", configuration.ToJsonString());
        Assert.Contains("secretRef", app["properties"]!["template"]!.ToJsonString());
        var probes = app["properties"]!["template"]!["containers"]![0]!["probes"]!.AsArray()
            .ToDictionary(p => p!["type"]!.GetValue<string>(), p => p!["httpGet"]!["path"]!.GetValue<string>());
        Assert.Equal("/alive", probes["Liveness"]);
        Assert.Equal("/health", probes["Readiness"]);
        Assert.Equal("/alive", probes["Startup"]);

        var api = ModuleParameters(template, "api");
        Assert.True(api["externalIngress"]!["value"]!.GetValue<bool>());
        Assert.Equal("[parameters('apiMinReplicas')]", api["minReplicas"]!["value"]!.GetValue<string>());
        Assert.True(template["parameters"]!["apiMinReplicas"]!["minValue"]!.GetValue<int>() >= 2);
        Assert.NotNull(api["scaleRules"]!["value"]![0]!["http"]!["metadata"]!["concurrentRequests"]);
        Assert.Equal("api", api["serviceName"]!["value"]!.GetValue<string>());
        var apiEnv = api["env"]!.ToJsonString();
        Assert.Contains("ASPNETCORE_FORWARDEDHEADERS_ENABLED", apiEnv);
        Assert.Contains("Discovery__PublicBaseUrl", apiEnv);
        Assert.Contains("APPLICATIONINSIGHTS_CONNECTION_STRING", apiEnv);
        var apiSecrets = api["keyVaultSecrets"]!.ToJsonString();
        Assert.Contains("auth-signing-key", apiSecrets);
        Assert.Contains("visitor-hash-salt", apiSecrets);
        Assert.Contains("stripe-webhook-secret", apiSecrets);

        var workers = ModuleParameters(template, "workers");
        Assert.False(workers["externalIngress"]!["value"]!.GetValue<bool>());
        Assert.True(template["parameters"]!["workersMinReplicas"]!["minValue"]!.GetValue<int>() >= 1);
        var rule = workers["scaleRules"]!["value"]![0]!["custom"]!;
        Assert.Equal("postgresql", rule["type"]!.GetValue<string>());
        var query = rule["metadata"]!["query"]!.GetValue<string>();
        Assert.Contains("job_queue", query);
        Assert.Contains("status = 'pending'", query);
        Assert.Contains("run_at <= now()", query);
        Assert.Equal("password", rule["auth"]![0]!["triggerParameter"]!.GetValue<string>());
        Assert.Contains("youtube-api-key", workers["keyVaultSecrets"]!.ToJsonString());

        // Both services read their connection strings from Key Vault.
        var connectionSecrets = Deployment(template, "resources")["properties"]!["template"]!["variables"]!["connectionSecrets"]!.ToJsonString();
        Assert.Contains("ConnectionStrings__platformdb", connectionSecrets);
        Assert.Contains("ConnectionStrings__cache", connectionSecrets);
    }

    [Fact]
    public async Task The_default_max_connections_holds_every_pool_of_the_most_replicas_the_scale_rules_allow()
    {
        // README, Connections: 40·N + 40·M + 4 (migrations job 3, KEDA 1) plus the 15 Azure reserves for itself.
        var template = await Compiled.Value;
        int Default(string name) => template["parameters"]![name]!["defaultValue"]!.GetValue<int>();
        var perApi = Platform.Core.Data.ConnectionPools.ApiDefault + Platform.Core.Data.ConnectionPools.AnonymousDefault;
        var perWorkers = Platform.Core.Data.ConnectionPools.WorkersDefault;
        var most = perApi * Default("apiMaxReplicas") + perWorkers * Default("workersMaxReplicas") + 4;
        Assert.True(most + 15 <= Default("postgresMaxConnections"), $"{most} + 15 > max_connections {Default("postgresMaxConnections")}");
        Assert.Contains($"{perApi}·N + {perWorkers}·M + 4", template["parameters"]!["postgresMaxConnections"]!["metadata"]!["description"]!.GetValue<string>());
    }

    [Fact]
    public async Task Stripe_prices_from_the_environment_reach_the_api_and_the_workers()
    {
        // Without Stripe__Prices__<tier> the Api has no price to check out and the Workers map no subscription to a
        // tier: a deployment with Stripe keys but no prices sells nothing.
        var template = await Compiled.Value;
        Assert.Equal("string", template["parameters"]!["stripePrices"]!["type"]!.GetValue<string>());
        var variables = Deployment(template, "resources")["properties"]!["template"]!["variables"]!;
        var priceEnv = variables["stripePriceEnv"]!.GetValue<string>();
        Assert.Contains("Stripe__Prices__", priceEnv);
        Assert.Contains("parameters('stripePrices')", priceEnv);
        Assert.Contains("variables('stripePriceEnv')", ModuleParameters(template, "api")["env"]!["value"]!.GetValue<string>());
        Assert.Contains("variables('stripePriceEnv')", ModuleParameters(template, "workers")["env"]!["value"]!.GetValue<string>());

        var parameters = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(RepositoryRoot, "infra", "main.parameters.json")))!;
        Assert.Equal("${STRIPE_PRICES=}", parameters["parameters"]!["stripePrices"]!["value"]!.GetValue<string>());
    }

    [Fact]
    public async Task Migrations_run_as_a_manual_job_that_the_deployment_starts_and_awaits()
    {
        var template = await Compiled.Value;
        var (job, _) = Single(template, "Microsoft.App/jobs");
        var configuration = job["properties"]!["configuration"]!;
        Assert.Equal("Manual", configuration["triggerType"]!.GetValue<string>());
        Assert.Equal(0, configuration["replicaRetryLimit"]!.GetValue<int>());
        Assert.Contains("secrets/platformdb-connection-string", configuration["secrets"]!.ToJsonString());
        Assert.Equal("apply", job["properties"]!["template"]!["containers"]![0]!["args"]![0]!.GetValue<string>());

        var azureYaml = await File.ReadAllTextAsync(Path.Combine(RepositoryRoot, "azure.yaml"));
        Assert.Matches(@"predeploy:\s+posix:\s+shell: sh\s+run: \./infra/hooks/migrate\.sh", azureYaml);
        Assert.Contains("continueOnError: false", azureYaml);
        var hook = await File.ReadAllTextAsync(Path.Combine(RepositoryRoot, "infra", "hooks", "migrate.sh"));
        Assert.Contains("set -eu", hook);
        Assert.Contains("az containerapp job start", hook);
        Assert.Contains("az containerapp job execution show", hook);
        Assert.Contains("exit 1", hook);
        using (var syntax = Process.Start(new ProcessStartInfo("sh", ["-n", Path.Combine(RepositoryRoot, "infra", "hooks", "migrate.sh")]) { RedirectStandardError = true })!)
        {
            var problems = await syntax.StandardError.ReadToEndAsync();
            await syntax.WaitForExitAsync();
            Assert.True(syntax.ExitCode == 0, problems); // parses as a POSIX shell script
        }

        Assert.Contains("MIGRATIONS_JOB_NAME", ((JsonObject)template["outputs"]!).Select(o => o.Key));
    }

    [Theory]
    [InlineData("Running Running Succeeded", "", 0)]
    [InlineData("Running Failed", "", 1)]
    [InlineData("Stopped", "", 1)]
    [InlineData("Running", "0", 1)] // still running at the timeout
    [InlineData("start-fails", "", 1)] // the job cannot even start
    public async Task The_predeploy_hook_fails_the_deployment_unless_the_migrations_job_succeeds(string statuses, string timeout, int exitCode)
    {
        // The hook against fake az/azd/dotnet on PATH: the job's execution reports the given statuses in turn.
        var bin = Directory.CreateTempSubdirectory("migrate-hook-").FullName;
        try
        {
            var statusFile = Path.Combine(bin, "statuses");
            await File.WriteAllLinesAsync(statusFile, statuses.Split(' '));
            await FakeCommandAsync(bin, "dotnet", "exit 0");
            await FakeCommandAsync(bin, "azd", "exit 0");
            await FakeCommandAsync(bin, "az", $$"""
                echo "$*" >> '{{bin}}/az.log'
                case "$*" in
                  *"job start"*) if grep -q start-fails '{{statusFile}}'; then echo "job not found" >&2; exit 3; fi; echo execution-1 ;;
                  *"execution show"*) head -n 1 '{{statusFile}}'; if [ "$(wc -l < '{{statusFile}}')" -gt 1 ]; then sed -i 1d '{{statusFile}}'; fi ;;
                esac
                exit 0
                """);

            var info = new ProcessStartInfo("sh", [Path.Combine(RepositoryRoot, "infra", "hooks", "migrate.sh")])
            {
                WorkingDirectory = RepositoryRoot,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            info.Environment["PATH"] = bin + ":" + Environment.GetEnvironmentVariable("PATH");
            info.Environment["AZURE_RESOURCE_GROUP"] = "rg-test";
            info.Environment["AZURE_CONTAINER_REGISTRY_ENDPOINT"] = "cr.example.test";
            info.Environment["AZURE_CONTAINER_REGISTRY_NAME"] = "cr";
            info.Environment["MIGRATIONS_JOB_NAME"] = "migrations";
            if (timeout.Length > 0)
            {
                info.Environment["MIGRATIONS_TIMEOUT_SECONDS"] = timeout;
            }

            using var hook = Process.Start(info)!;
            var output = hook.StandardOutput.ReadToEndAsync();
            var errors = hook.StandardError.ReadToEndAsync();
            try
            {
                await hook.WaitForExitAsync(new CancellationTokenSource(TimeSpan.FromMinutes(1)).Token);
            }
            catch (OperationCanceledException)
            {
                hook.Kill(entireProcessTree: true);
                throw;
            }

            Assert.True(exitCode == 0 ? hook.ExitCode == 0 : hook.ExitCode != 0, $"exit {hook.ExitCode}: {await output}{await errors}");
            if (statuses != "start-fails")
            {
                var calls = await File.ReadAllTextAsync(Path.Combine(bin, "az.log"));
                Assert.Contains("containerapp job update --name migrations --resource-group rg-test --image cr.example.test/", calls);
                Assert.Contains("--job-execution-name execution-1", calls);
            }
        }
        finally
        {
            Directory.Delete(bin, recursive: true);
        }
    }

    private static async Task FakeCommandAsync(string directory, string name, string body)
    {
        var path = Path.Combine(directory, name);
        await File.WriteAllTextAsync(path, "#!/bin/sh\n" + body + "\n");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }

    private static string Metadata(string key) =>
        typeof(InfrastructureTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == key).Value!;

    private static async Task<JsonObject> CompileAsync()
    {
        var build = await RunBicepAsync("build", Path.Combine("infra", "main.bicep"), "--stdout");
        Assert.True(build.ExitCode == 0, build.Errors);
        return JsonNode.Parse(build.Output)!.AsObject();
    }

    private static async Task<(int ExitCode, string Output, string Errors)> RunBicepAsync(params string[] arguments)
    {
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(Bicep, File.GetUnixFileMode(Bicep) | UnixFileMode.UserExecute);
        }

        var info = new ProcessStartInfo(Bicep, arguments)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = RepositoryRoot,
        };
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync(new CancellationTokenSource(TimeSpan.FromMinutes(2)).Token);
        return (process.ExitCode, await output, await errors);
    }

    /// <summary>Every resource of the template and of its nested deployments (modules), with the template holding it.</summary>
    private static IEnumerable<(JsonObject Resource, JsonObject Template)> Resources(JsonObject template)
    {
        var resources = template["resources"] switch
        {
            JsonArray array => array.Select(r => r!.AsObject()),
            JsonObject symbolic => symbolic.Select(r => r.Value!.AsObject()),
            _ => [],
        };
        foreach (var resource in resources)
        {
            if (resource["existing"]?.GetValue<bool>() == true)
            {
                continue;
            }

            yield return (resource, template);
            if (Type(resource) == "Microsoft.Resources/deployments" && resource["properties"]?["template"] is JsonObject nested)
            {
                foreach (var inner in Resources(nested))
                {
                    yield return inner;
                }
            }
        }
    }

    private static string Type(JsonObject resource) => resource["type"]!.GetValue<string>();

    private static (JsonObject Resource, JsonObject Template) Single(JsonObject template, string type) =>
        Assert.Single(Resources(template), r => Type(r.Resource) == type);

    private static JsonObject Deployment(JsonObject template, string name) =>
        Assert.Single(Resources(template), r => Type(r.Resource) == "Microsoft.Resources/deployments" && r.Resource["name"]?.GetValue<string>() == name).Resource;

    private static JsonObject ModuleParameters(JsonObject template, string module) =>
        Deployment(template, module)["properties"]!["parameters"]!.AsObject();

    [GeneratedRegex(@"CREATE\s+EXTENSION\s+(IF\s+NOT\s+EXISTS\s+)?(?<name>""?[A-Za-z0-9_]+""?)", RegexOptions.IgnoreCase)]
    private static partial Regex CreateExtension();

    [GeneratedRegex(@"'(?<name>[a-z0-9-]+)'\)\]$")]
    private static partial Regex SecretName();
}
