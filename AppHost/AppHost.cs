using Microsoft.Extensions.Configuration;
using Aspire.Hosting.ApplicationModel;
using Platform.AppHost;
using Platform.Core;

var builder = DistributedApplication.CreateBuilder(args);

var mode = InfrastructureModeSelector.Select(builder.Configuration, builder.ExecutionContext.IsPublishMode);
// Local mode keeps the Postgres cluster here between runs (git-ignored); tests point it at a temp folder.
var localData = builder.Configuration["Infrastructure:DataDirectory"] is { Length: > 0 } dataDirectory
    ? Path.GetFullPath(dataDirectory)
    : Path.Combine(builder.AppHostDirectory, ".localdata");

IResourceBuilder<IResourceWithConnectionString> database;
IResourceBuilder<IResourceWithConnectionString> cache;
if (mode == InfrastructureMode.Managed)
{
    // Publish: Azure Database for PostgreSQL and Azure Managed Redis (infra/), never containers; their connection
    // strings are secret parameters (Key Vault references in infra/).
    database = builder.AddConnectionString(ResourceNames.Database);
    cache = builder.AddConnectionString(ResourceNames.Cache);
}
else if (mode == InfrastructureMode.Container)
{
    var postgres = builder.AddPostgres(ResourceNames.PostgresServer);
    var redis = builder.AddRedis(ResourceNames.Cache);
    postgres.WithDataVolume();

    database = postgres.AddDatabase(ResourceNames.Database);
    cache = redis;
}
else
{
    database = builder.AddLocalPostgres(ResourceNames.PostgresServer, Path.Combine(localData, "postgres"))
        .AddDatabase(ResourceNames.Database);
    cache = builder.AddLocalRedis(ResourceNames.Cache, Path.Combine(localData, "redis"));
}

var migrations = builder.AddProject<Projects.Migrations>(ResourceNames.Migrations)
    .WithArgs("apply")
    .WithReference(database)
    .WaitFor(database);

var api = builder.AddProject<Projects.Api>(ResourceNames.Api)
    .WithReference(database)
    .WithReference(cache)
    .WaitFor(cache)
    .WaitForCompletion(migrations)
    .WithHttpHealthCheck("/health")
    .WithExternalHttpEndpoints();

var workers = builder.AddProject<Projects.Workers>(ResourceNames.Workers)
    .WithReference(database)
    .WithReference(cache)
    .WaitFor(cache)
    .WaitForCompletion(migrations)
    .WithHttpHealthCheck("/health")
    .WithReplicas(builder.Configuration.GetValue("Workers:Replicas", 1));

// Publish mode: what the cloud needs besides connection strings (forwarded headers, public URLs, one salt, telemetry).
var authSigningKey = builder.AddProductionSettings(api, workers, migrations);

// Stripe (test mode locally): secret parameters when configured, and the `stripe listen` forwarder.
builder.AddStripe(api, workers);

// Content ingestion: the YouTube Data API key and an optional OpenAI-compatible tagger, as secret parameters when set.
foreach (var (parameter, variable) in new[]
{
    ("youtube-api-key", "YouTube__ApiKey"),
    ("tagging-endpoint", "Tagging__Endpoint"),
    ("tagging-api-key", "Tagging__ApiKey"),
})
{
    if (!string.IsNullOrWhiteSpace(builder.Configuration[$"Parameters:{parameter}"]))
    {
        workers.WithEnvironment(variable, builder.AddParameter(parameter, secret: parameter.EndsWith("key", StringComparison.Ordinal)));
    }
}

// YouTube channel ownership (OAuth 2.0 + PKCE, issue 12): the Google OAuth client, wired into the Api only when both
// are configured (Parameters:youtube-oauth-client-id, secret Parameters:youtube-oauth-client-secret); without them the
// Api's authorize endpoint answers 503 and feeds still verify by token. Optional Parameters:youtube-oauth-return-url.
if (!string.IsNullOrWhiteSpace(builder.Configuration["Parameters:youtube-oauth-client-id"])
    && !string.IsNullOrWhiteSpace(builder.Configuration["Parameters:youtube-oauth-client-secret"]))
{
    api.WithEnvironment("YouTube__OAuth__ClientId", builder.AddParameter("youtube-oauth-client-id"))
       .WithEnvironment("YouTube__OAuth__ClientSecret", builder.AddParameter("youtube-oauth-client-secret", secret: true));
    if (!string.IsNullOrWhiteSpace(builder.Configuration["Parameters:youtube-oauth-return-url"]))
    {
        api.WithEnvironment("YouTube__OAuth__ReturnUrl", builder.AddParameter("youtube-oauth-return-url"));
    }
}

// The dashboard as a control room: links to the Api's docs and public pages, seed / trending / replay commands.
if (authSigningKey is not null)
{
    builder.AddDashboardControls(api, migrations, database, authSigningKey);
}

builder.Build().Run();
