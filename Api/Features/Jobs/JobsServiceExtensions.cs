using Platform.Api.Features.Jobs.JobWebSocket;
using Platform.Api.Features.Jobs.Streaming;

namespace Platform.Api.Features.Jobs;

public static class JobsServiceExtensions
{
    /// <summary>Live job streams: the LISTEN hub and the stream shared by SSE and WebSocket.</summary>
    public static WebApplicationBuilder AddJobStreaming(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<JobNotificationHub>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<JobNotificationHub>());
        builder.Services.AddSingleton<JobEventStream>();
        builder.Services.AddOptions<JobStreamOptions>().Bind(builder.Configuration.GetSection(JobStreamOptions.Section));
        builder.Services.AddSingleton<JobStreamLimits>();
        return builder;
    }

    public static WebApplication MapJobStreaming(this WebApplication app)
    {
        app.UseWebSockets(new WebSocketOptions { KeepAliveInterval = TimeSpan.FromSeconds(15) });
        app.MapJobWebSocket();
        return app;
    }
}
