using FastEndpoints;
using Platform.Api.Auth;
using Platform.Api.Features.Discovery;
using Platform.Api.OpenApi;
using Platform.Core;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddNpgsqlDataSource(ResourceNames.Database);
builder.AddRedisClient(ResourceNames.Cache);
builder.Services.AddProblemDetails();
builder.Services.AddFastEndpoints();
builder.AddDiscovery();
builder.AddPlatformAuth();
builder.AddPlatformOpenApi();

var app = builder.Build();

app.UseExceptionHandler();
app.UseStatusCodePages();
app.UseDiscovery();
app.UseFastEndpoints(config =>
{
    config.Errors.UseProblemDetails();
    config.Serializer.Options.PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.SnakeCaseLower;
});
app.UsePlatformOpenApi();
app.MapDefaultEndpoints();

app.Run();
