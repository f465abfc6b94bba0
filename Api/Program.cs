using FastEndpoints;
using Platform.Api.Auth;
using Platform.Api.Features.Billing;
using Platform.Core;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddNpgsqlDataSource(ResourceNames.Database);
builder.AddRedisClient(ResourceNames.Cache);
builder.AddPlatformAuth();
builder.AddBilling();
builder.Services.AddProblemDetails();
builder.Services.AddFastEndpoints();

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
