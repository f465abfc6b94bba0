using FastEndpoints;
using Marten;
using Platform.Core.Audit;
using Platform.Api.Auth;
using Platform.Api.Features.Jobs;
using Platform.Api.Features.Platforms;
using Platform.Core;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddNpgsqlDataSource(ResourceNames.Database);
builder.AddRedisClient(ResourceNames.Cache);
builder.AddPlatformAuth();
builder.AddJobStreaming();
builder.AddPlatformAccounts();
builder.Services.AddMarten(options => AuditStore.Configure(options)).UseNpgsqlDataSource();
builder.Services.AddProblemDetails();
builder.Services.AddFastEndpoints();

var app = builder.Build();

app.UseExceptionHandler();
app.UseStatusCodePages();
app.UseAuthentication();
app.UseAuthorization();
app.UseMiddleware<EnsureUserMiddleware>();
app.MapJobStreaming();
app.UseFastEndpoints(config =>
{
    config.Errors.UseProblemDetails();
    config.Serializer.Options.PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.SnakeCaseLower;
});
app.MapDefaultEndpoints();

app.Run();
