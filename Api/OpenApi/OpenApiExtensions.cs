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

    /// <summary>The document's <c>info.license</c>; default: proprietary (no license granted; the repository has none).</summary>
    public const string LicenseNameKey = "OpenApi:LicenseName";

    /// <summary>Where <see cref="LicenseNameKey"/> is explained; default: choosealicense.com's "no permission" page.</summary>
    public const string LicenseUrlKey = "OpenApi:LicenseUrl";

    public static WebApplicationBuilder AddPlatformOpenApi(this WebApplicationBuilder builder)
    {
        builder.Services.SwaggerDocument(options =>
        {
            options.ShortSchemaNames = false;
            options.EnableJWTBearerAuth = true;
            options.RemoveEmptyRequestSchema = true;
            options.SerializerSettings = s => s.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
            options.DocumentSettings = settings =>
            {
                settings.DocumentName = "v1";
                settings.Title = "Creator content discovery platform API";
                settings.Version = "v1";
                settings.DocumentProcessors.Add(new LintCleanDocumentProcessor());
                settings.PostProcess = document => document.Info.License = new NSwag.OpenApiLicense
                {
                    Name = builder.Configuration[LicenseNameKey] ?? "Proprietary",
                    Url = builder.Configuration[LicenseUrlKey] ?? "https://choosealicense.com/no-permission/",
                };
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
