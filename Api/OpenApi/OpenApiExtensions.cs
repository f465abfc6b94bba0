using System.Text.Json;
using FastEndpoints.Swagger;

namespace Platform.Api.OpenApi;

/// <summary>The OpenAPI document (<c>/swagger/v1/swagger.json</c>, snake_case like the wire) and its UI (<c>/swagger</c>).</summary>
public static class OpenApiExtensions
{
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
        app.UseSwaggerGen();
        return app;
    }
}
