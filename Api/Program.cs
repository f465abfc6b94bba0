using FastEndpoints;
using Marten;
using Platform.Api.Auth;
using Platform.Api.Features.Account;
using Platform.Api.Features.Billing;
using Platform.Api.Features.Discovery;
using Platform.Api.Features.Jobs;
using Platform.Api.Features.Seo;
using Platform.Api.Http;
using Platform.Api.OpenApi;
using Platform.Api.Features.Platforms;
using Platform.Core;
using Platform.Core.Audit;
using Platform.Core.Data;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddNpgsqlDataSource(ResourceNames.Database, configureDataSourceBuilder: dataSource =>
{
    ConnectionPools.Cap(dataSource.ConnectionStringBuilder, builder.Configuration, ConnectionPools.MaxPoolSizeKey, ConnectionPools.ApiDefault);
    ListenConnection.EnableTcpKeepAlive(dataSource.ConnectionStringBuilder); // a dead peer fails, not hangs
});
builder.Services.AddSchemaReadiness(); // /health is unready until the database holds this build's migrations
builder.AddRedisClient(ResourceNames.Cache);
builder.AddPlatformAuth();
builder.AddJobStreaming();
builder.Services.AddSingleton<Platform.Core.Ingestion.IPlatformAccountLimits, TierPlatformAccountLimits>(); // plans decide
builder.AddPlatformAccounts();
builder.AddAccounts();
builder.Services.AddMarten(options => AuditStore.Configure(options)).UseNpgsqlDataSource();
builder.Services.AddProblemDetails();
builder.Services.AddExceptionHandler<DatabaseUnavailableHandler>(); // database down: 503 + Retry-After, not 500
builder.Services.AddFastEndpoints();
builder.AddBilling();
builder.AddDiscovery();
builder.AddPlatformRateLimits();
builder.AddRequestBodyLimits();
builder.AddCrossOrigin(); // Cors:AllowedOrigins for user endpoints; public reads from any origin, no credentials
builder.AddPublicHostFilter(); // outside Development: Discovery:PublicBaseUrl required, other Hosts refused
builder.AddPlatformOpenApi();

var app = builder.Build();

app.UseExceptionHandler();
app.UseStatusCodePages();
app.UseMiddleware<HeadRequestsMiddleware>(); // HEAD answers as GET without the body (routing only knows GET)
app.UseRouting();
app.UsePublicHostFilter();
app.UseCrossOrigin(); // before authentication: a preflight carries no credentials
app.UseRequestBodyLimits();
app.UseMiddleware<EmptyBodyMiddleware>();
app.UseAuthentication();
app.UseDiscovery(); // the rate limiter: after authentication, so per-user limits know the user
app.UseAuthorization();
app.UseMiddleware<EnsureUserMiddleware>();
app.UseMiddleware<StorableTextMiddleware>();
app.MapJobStreaming();
app.UseFastEndpoints(config =>
{
    config.Errors.UseProblemDetails();
    config.Serializer.Options.PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.SnakeCaseLower;
});
app.UsePlatformOpenApi();
app.MapSiteNotFound(); // the site's 404 page for any other GET (problem details under /api/)
app.MapDefaultEndpoints(endpoint => endpoint.RequireRateLimiting(RateLimits.ProbePolicy));

app.Run();
