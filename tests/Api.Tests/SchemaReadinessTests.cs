using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Platform.Core.Audit;
using Platform.Core.Data;
using Platform.Migrations;
using Platform.TestSupport;
using Platform.Workers;

namespace Platform.Api.Tests;

/// <summary>
/// Readiness follows the schema: the Api and the Workers (the real hosts, in-process) start against an empty or an
/// unreachable database without crashing, answer <c>/alive</c> 200 and <c>/health</c> 503 with the reason, and become
/// ready without a restart once the migrations are applied.
/// </summary>
public class SchemaReadinessTests
{
    private static readonly TimeSpan ReadyWithin = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Api_and_workers_are_unready_on_an_empty_database_and_ready_once_the_migrations_ran()
    {
        var connectionString = await TestInfrastructure.CreateEmptyDatabaseAsync(nameof(SchemaReadinessTests));
        try
        {
            var redis = (await TestInfrastructure.RedisAsync()).ConnectionString;
            await using var api = StartApi(connectionString, redis);
            await using var workers = StartWorkers(connectionString, redis);
            using var apiClient = api.CreateClient();
            using var workersClient = workers.CreateClient();

            foreach (var client in new[] { apiClient, workersClient })
            {
                var (status, body) = await GetAsync(client, "/health");
                Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
                Assert.Contains("no migrations applied", body); // the reason, shown in Development
                Assert.Contains(SchemaVersion.RequiredScript, body);
                Assert.Equal(HttpStatusCode.OK, (await GetAsync(client, "/alive")).Status);
            }

            // What the deployment's migrations job does, while both processes keep running.
            await new MigrationRunner(
                connectionString, MigrationScriptSource.Embedded(), afterMigrations: ct => AuditStore.ApplySchemaAsync(connectionString, ct)).ApplyAsync();

            await WaitUntilHealthyAsync(apiClient);
            await WaitUntilHealthyAsync(workersClient);
            Assert.Equal(HttpStatusCode.OK, (await GetAsync(workersClient, "/alive")).Status);
        }
        finally
        {
            await TestInfrastructure.DropDatabaseAsync(connectionString);
        }
    }

    [Fact]
    public async Task A_database_short_of_this_builds_migrations_is_unready_and_one_migrated_by_a_newer_build_is_ready()
    {
        // Rolling deploys: the new release's migrations job runs while the previous revisions still serve, and a
        // rollback runs the older image against the newer schema. Migrations stay backward compatible, so a database
        // ahead of this build is ready; one behind it is not.
        var connectionString = await TestInfrastructure.CreateMigratedDatabaseAsync(nameof(SchemaReadinessTests) + "_versions");
        try
        {
            var redis = (await TestInfrastructure.RedisAsync()).ConnectionString;
            await ExecuteAsync(connectionString, $"DELETE FROM {SchemaVersion.HistoryTable} WHERE version = {SchemaVersion.Required}");
            var previous = SchemaVersion.Scripts[^2];
            await using (var api = StartApi(connectionString, redis))
            await using (var workers = StartWorkers(connectionString, redis))
            {
                using var apiClient = api.CreateClient();
                using var workersClient = workers.CreateClient();
                foreach (var client in new[] { apiClient, workersClient })
                {
                    var (status, body) = await GetAsync(client, "/health");
                    Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
                    Assert.Contains($"database at migration {previous[..3]}", body);
                    Assert.Contains(SchemaVersion.RequiredScript, body);
                    Assert.Equal(HttpStatusCode.OK, (await GetAsync(client, "/alive")).Status);
                }
            }

            // Back to this build's schema, then one more migration than this build knows (a newer release's).
            await new MigrationRunner(
                connectionString, MigrationScriptSource.Embedded(), afterMigrations: ct => AuditStore.ApplySchemaAsync(connectionString, ct)).ApplyAsync();
            await ExecuteAsync(connectionString, $"""
                INSERT INTO {SchemaVersion.HistoryTable} (version, name, checksum, duration_ms, applied_by)
                VALUES ({SchemaVersion.Required + 1}, 'from_a_newer_release', 'x', 1, 'test')
                """);
            await using (var api = StartApi(connectionString, redis))
            await using (var workers = StartWorkers(connectionString, redis))
            {
                using var apiClient = api.CreateClient();
                using var workersClient = workers.CreateClient();
                await WaitUntilHealthyAsync(apiClient);
                await WaitUntilHealthyAsync(workersClient);
            }
        }
        finally
        {
            await TestInfrastructure.DropDatabaseAsync(connectionString);
        }
    }

    private static async Task ExecuteAsync(string connectionString, string sql)
    {
        await using var connection = new Npgsql.NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    [Fact]
    public async Task Api_and_workers_start_against_an_unreachable_database_and_say_why_they_are_unready()
    {
        var unreachable = $"Host=127.0.0.1;Port={FreePort()};Username=postgres;Password=x;Database=platformdb;Timeout=2";
        var redis = (await TestInfrastructure.RedisAsync()).ConnectionString;
        await using var api = StartApi(unreachable, redis);
        await using var workers = StartWorkers(unreachable, redis);

        using var apiClient = api.CreateClient();
        await AssertUnreachableAsync(apiClient);
        using var workersClient = workers.CreateClient();
        await AssertUnreachableAsync(workersClient);
        await Task.Delay(SchemaReadiness.PollInterval * 2); // the background services keep waiting, not crashing
        await AssertUnreachableAsync(workersClient);
    }

    private static async Task AssertUnreachableAsync(HttpClient client)
    {
        var (status, body) = await GetAsync(client, "/health");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Contains("database unreachable", body);
        Assert.Equal(HttpStatusCode.OK, (await GetAsync(client, "/alive")).Status);
    }

    private static WebApplicationFactory<ApiEntryPoint> StartApi(string database, string redis) =>
        new WebApplicationFactory<ApiEntryPoint>().WithWebHostBuilder(web => Configure(web, database, redis)
            .UseSetting("Auth:SigningKey", TestTokens.SigningKey)
            .UseSetting("Auth:Issuer", TestTokens.Issuer)
            .UseSetting("Auth:Audience", TestTokens.Audience));

    private static WebApplicationFactory<WorkersEntryPoint> StartWorkers(string database, string redis) =>
        new WebApplicationFactory<WorkersEntryPoint>().WithWebHostBuilder(web => Configure(web, database, redis)
            .UseSetting("Workers:PollInterval", "00:00:00.200"));

    private static IWebHostBuilder Configure(IWebHostBuilder web, string database, string redis) => web
        .UseEnvironment("Development")
        .UseSetting("ConnectionStrings:platformdb", database)
        .UseSetting("ConnectionStrings:cache", redis);

    private static async Task WaitUntilHealthyAsync(HttpClient client)
    {
        var deadline = DateTime.UtcNow + ReadyWithin;
        while (true)
        {
            var (status, body) = await GetAsync(client, "/health");
            if (status == HttpStatusCode.OK)
            {
                return;
            }

            Assert.True(DateTime.UtcNow < deadline, $"not ready within {ReadyWithin}: {body}");
            await Task.Delay(250);
        }
    }

    private static async Task<(HttpStatusCode Status, string Body)> GetAsync(HttpClient client, string path)
    {
        using var response = await client.GetAsync(path);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
