using Platform.Core;
using Platform.Core.Data;
using Platform.Workers.Audit;
using Platform.Workers.Billing;
using Platform.Workers.Ingestion;
using Platform.Workers.Queue;
using Platform.Workers.Trending;

// The Workers host: job queue processors and schedules. It serves /health and /alive over HTTP so the
// AppHost and container platforms can probe it like the Api.
var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddNpgsqlDataSource(ResourceNames.Database, configureDataSourceBuilder: dataSource =>
{
    ConnectionPools.Cap(dataSource.ConnectionStringBuilder, builder.Configuration, ConnectionPools.MaxPoolSizeKey, ConnectionPools.WorkersDefault);
    ListenConnection.EnableTcpKeepAlive(dataSource.ConnectionStringBuilder); // a dead peer fails, not hangs
});
builder.Services.AddSchemaReadiness(); // /health is unready until the database holds this build's migrations
builder.AddRedisClient(ResourceNames.Cache);
builder.AddStripeWebhookProcessing();
builder.AddJobQueue();
builder.AddJobAudit();
builder.AddTrending();
builder.AddContentIngestion();

var app = builder.Build();
app.MapDefaultEndpoints();
app.Run();
