using FastEndpoints;
using Marten;
using Platform.Api.Auth;
using Platform.Api.Features.Account;
using Platform.Api.Features.Billing;
using Platform.Api.Features.Discovery;
using Platform.Api.Features.Jobs;
using Platform.Api.Features.Platforms;
using Platform.Api.Features.Seo;
using Platform.Api.Http;
using Platform.Api.OpenApi;
using Platform.Core;
using Platform.Core.Audit;
using Platform.Core.Data;

var builder = WebApplication.CreateBuilder(args);

// Infrastructure: telemetry and health, PostgreSQL (pool capped, keepalive so a dead peer fails instead of hanging),
// readiness that follows the schema, Redis, and Marten's audit store on the same data source.
builder.AddServiceDefaults();
builder.AddNpgsqlDataSource(ResourceNames.Database, configureDataSourceBuilder: dataSource =>
{
    ConnectionPools.Cap(dataSource.ConnectionStringBuilder, builder.Configuration, ConnectionPools.MaxPoolSizeKey, ConnectionPools.ApiDefault);
    ListenConnection.EnableTcpKeepAlive(dataSource.ConnectionStringBuilder);
});
builder.Services.AddSchemaReadiness(); // /health is unready until the database holds this build's migrations
builder.AddRedisClient(ResourceNames.Cache);
builder.Services.AddMarten(options => AuditStore.Configure(options)).UseNpgsqlDataSource();

// HTTP concerns. Authentication's settings are checked first: outside Development a missing issuer or key stops the
// start with its own message.
builder.AddPlatformAuth();
builder.Services.AddProblemDetails(options => options.CustomizeProblemDetails = Problems.Customize);
builder.Services.AddExceptionHandler<DatabaseUnavailableHandler>(); // database down: 503 + Retry-After, not 500
builder.AddPublicHostFilter(); // outside Development: Discovery:PublicBaseUrl required, other Hosts refused
builder.AddCrossOrigin(); // Cors:AllowedOrigins for user endpoints; public reads from any origin, no credentials
builder.AddRequestBodyLimits();
builder.AddPlatformRateLimits(); // every policy and the 429 answer

// Features (REPR endpoints under Features/<Area>/<Action>) and their services.
builder.Services.AddFastEndpoints();
builder.AddDiscovery(); // public reads, their cache (Api/Caching) and the site
builder.AddJobStreaming();
builder.AddPlatformAccounts();
builder.AddAccounts();
builder.AddBilling();
builder.AddPlatformOpenApi();

var app = builder.Build();

// Behind an ingress, ASPNETCORE_FORWARDEDHEADERS_ENABLED=true puts the forwarded-headers middleware before all of
// this (a startup filter): the client address and scheme below are the ingress's view of the caller.

// 1. Errors: an unhandled exception becomes a problem detail (503 when the database is down); bodiless error statuses
//    get one too.
app.UseExceptionHandler();
app.UseStatusCodePages();

// 2. Request shape: HEAD answers as GET without the body (routing only knows GET), then routing, so the middlewares
//    below can see the endpoint's metadata (CORS and rate-limit policies, authorization).
app.UseMiddleware<HeadRequestsMiddleware>();
app.UseRouting();
app.UsePublicHostFilter();

// 3. CORS before authentication: a preflight carries no credentials.
app.UseCrossOrigin();

// 4. Bodies: size limits per endpoint, and the Content-Type of a GET, HEAD or DELETE without a body ignored.
app.UseRequestBodyLimits();
app.UseMiddleware<EmptyBodyMiddleware>();

// 5. Authentication, then the rate limiter (after it, so per-user limits know the user), then authorization; the
//    signed-in identity becomes a platform user (created on first sign-in, 410 once deleted).
app.UseAuthentication();
app.UseRateLimiter();
app.UseAuthorization();
app.UseMiddleware<EnsureUserMiddleware>();

// 6. Input text PostgreSQL cannot store (U+0000, lone surrogates, numbers beyond numeric) is refused with a 400, and a
//    body without a Content-Type with a 415, before any endpoint sees them.
app.UseMiddleware<StorableTextMiddleware>();
app.UseMiddleware<MissingContentTypeMiddleware>();

// 7. Features: the job streams (WebSocket, SSE), the endpoints, the OpenAPI document, the site's 404 page for any
//    other GET (problem details under /api/), and the health probes (rate-limited: they are anonymous).
app.MapJobStreaming();
app.UseFastEndpoints(config =>
{
    config.Errors.UseProblemDetails(Problems.ShapeValidationProblems); // the type and trace_id of ASP.NET Core's problems
    config.Binding.FailureMessage = Problems.BindingFailure; // a value that does not bind is cited, not reflected whole
    config.Serializer.Options.PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.SnakeCaseLower;
});
app.UsePlatformOpenApi();
app.MapSiteNotFound();
app.MapDefaultEndpoints(endpoint => endpoint.RequireRateLimiting(RateLimits.ProbePolicy));

app.Run();
