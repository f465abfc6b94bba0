using System.Text.Json;
using FastEndpoints.Swagger;

namespace Platform.Api.OpenApi;

/// <summary>
/// The OpenAPI document (<c>/swagger/v1/swagger.json</c>, snake_case like the wire) and its UI (<c>/swagger</c>), served
/// only when <c>OpenApi:Enabled</c> is true; default: true in Development, false elsewhere (in production they would
/// publish every endpoint, admin ones included, to anyone).
/// </summary>
public static class OpenApiExtensions
{
    public const string EnabledKey = "OpenApi:Enabled";

    public static WebApplicationBuilder AddPlatformOpenApi(this WebApplicationBuilder builder)
    {
        builder.Services.SwaggerDocument(options =>
        {
            options.ShortSchemaNames = false;
            options.EnableJWTBearerAuth = true;
            options.SerializerSettings = s => s.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
            options.DocumentSettings = settings =>
            {
                settings.DocumentName = "v1";
                settings.Title = "Creator content discovery platform API";
                settings.Version = "v1";
            };
        });
        return builder;
    }

    /// <summary>After <c>UseFastEndpoints</c>.</summary>
    public static WebApplication UsePlatformOpenApi(this WebApplication app)
    {
        if (!app.Configuration.GetValue(EnabledKey, app.Environment.IsDevelopment()))
        {
            return app;
        }

        app.UseSwaggerGen();
        return app;
    }
}
