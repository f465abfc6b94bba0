using FastEndpoints;
using Platform.Api.Auth;
using Platform.Core;
using Platform.Api.Features.Billing;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddNpgsqlDataSource(ResourceNames.Database);
builder.AddRedisClient(ResourceNames.Cache);
builder.AddPlatformAuth();
builder.Services.AddProblemDetails();
builder.Services.AddFastEndpoints();
builder.AddBilling();

var app = builder.Build();

app.UseExceptionHandler();
app.UseStatusCodePages();
app.UseAuthentication();
app.UseAuthorization();
app.UseMiddleware<EnsureUserMiddleware>();
app.UseFastEndpoints(config =>
{
    config.Errors.UseProblemDetails();
    config.Serializer.Options.PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.SnakeCaseLower;
});
app.MapDefaultEndpoints();

app.Run();
