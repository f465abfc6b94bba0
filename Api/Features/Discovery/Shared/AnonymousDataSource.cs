using Npgsql;
using Platform.Core;
using Platform.Core.Data;

namespace Platform.Api.Features.Discovery.Shared;

/// <summary>
/// The connections public reads run on (discovery API, SEO pages, sitemap, click recording): the platform database
/// with the session role <c>app_anonymous</c> (a startup option, so it survives the pool's reset between uses). That
/// role may read only what anonymous visitors may see: published content, public profile columns of public users
/// (RLS), categories, tags, media, trending and featured creators, and record clicks through
/// <c>record_content_click()</c>; a bug in a public query cannot reach e-mail addresses, jobs or billing.
/// </summary>
public sealed class AnonymousDataSource : IAsyncDisposable
{
    public const string Role = "app_anonymous";

    public AnonymousDataSource(IConfiguration configuration)
    {
        var connectionString = configuration.GetConnectionString(ResourceNames.Database)
            ?? throw new InvalidOperationException($"ConnectionStrings:{ResourceNames.Database} is not configured.");
        var builder = new NpgsqlDataSourceBuilder(connectionString);
        builder.ConnectionStringBuilder.Options = $"{builder.ConnectionStringBuilder.Options} -c role={Role}".Trim();
        builder.ConnectionStringBuilder.ApplicationName ??= "platform-api-public";
        ConnectionPools.Cap(builder.ConnectionStringBuilder, configuration, ConnectionPools.AnonymousMaxPoolSizeKey, ConnectionPools.AnonymousDefault);
        DataSource = builder.Build();
    }

    public NpgsqlDataSource DataSource { get; }

    public ValueTask DisposeAsync() => DataSource.DisposeAsync();
}
