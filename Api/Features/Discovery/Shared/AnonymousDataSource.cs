using Npgsql;
using Platform.Core;
using Platform.Core.Data;

namespace Platform.Api.Features.Discovery.Shared;

/// <summary>
/// The connections public reads run on (discovery API, SEO pages, sitemap, click recording): the platform database
/// with the session role <c>app_anonymous</c> (a startup option, so it survives the pool's reset between uses). That
/// role may read only what anonymous visitors may see: published content, public profile columns of public users
/// (RLS), categories, tags, media, trending and featured creators, and record clicks through
/// <c>record_content_click()</c>; a bug in a public query cannot reach e-mail addresses, jobs or billing. Every
/// statement on these connections is cancelled after <c>Database:AnonymousStatementTimeoutMs</c> (default 5000; a
/// startup option like the role), so no anonymous request can hold a connection longer.
/// </summary>
public sealed class AnonymousDataSource : IAsyncDisposable
{
    public const string Role = "app_anonymous";

    public const string StatementTimeoutKey = "Database:AnonymousStatementTimeoutMs";

    public const int DefaultStatementTimeoutMs = 5000;

    public AnonymousDataSource(IConfiguration configuration)
    {
        var connectionString = configuration.GetConnectionString(ResourceNames.Database)
            ?? throw new InvalidOperationException($"ConnectionStrings:{ResourceNames.Database} is not configured.");
        var builder = new NpgsqlDataSourceBuilder(connectionString);
        var timeout = Math.Max(1, configuration.GetValue(StatementTimeoutKey, DefaultStatementTimeoutMs));
        builder.ConnectionStringBuilder.Options =
            $"{builder.ConnectionStringBuilder.Options} -c role={Role} -c statement_timeout={timeout}".Trim();
        builder.ConnectionStringBuilder.ApplicationName ??= "platform-api-public";
        ConnectionPools.Cap(builder.ConnectionStringBuilder, configuration, ConnectionPools.AnonymousMaxPoolSizeKey, ConnectionPools.AnonymousDefault);
        DataSource = builder.Build();
    }

    public NpgsqlDataSource DataSource { get; }

    public ValueTask DisposeAsync() => DataSource.DisposeAsync();
}
