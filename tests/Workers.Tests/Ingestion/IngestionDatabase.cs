using Microsoft.Extensions.DependencyInjection;
using Platform.Workers.Ingestion;

namespace Platform.Workers.Tests.Ingestion;

/// <summary>A migrated database with a user, a fake YouTube, and helpers to connect accounts and run the ingestion workers.</summary>
public class IngestionDatabase : QueueDatabase
{
    public FakeYouTube YouTube { get; private set; } = null!;

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        YouTube = await FakeYouTube.StartAsync();
    }

    public override async Task DisposeAsync()
    {
        await YouTube.DisposeAsync();
        await base.DisposeAsync();
    }

    /// <summary>A Workers replica with the ingestion handlers, pointed at the fakes.</summary>
    public Task<WorkerHost> StartWorkersAsync(IDictionary<string, string?>? extra = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["YouTube:ApiKey"] = FakeYouTube.ApiKey,
            ["YouTube:ApiBase"] = YouTube.ApiBase,
            ["Ingestion:AllowPrivateNetworks"] = "true",
            ["Workers:Queues:ingestion"] = "4",
        };
        foreach (var (key, value) in extra ?? new Dictionary<string, string?>())
        {
            settings[key] = value;
        }

        return WorkerHost.StartAsync(ConnectionString, services => services.AddContentIngestion(), settings);
    }

    /// <summary>
    /// Connects an account of <paramref name="userId"/> (default <see cref="QueueDatabase.UserId"/>); verified by default
    /// (its imports are public at once), as the owner who proved it would be (issue 12).
    /// </summary>
    public async Task<Guid> AddAccountAsync(string platform, string externalId, string? handle = null, string? url = null, bool verified = true, Guid? userId = null)
    {
        await using var command = DataSource.CreateCommand(
            """
            INSERT INTO platform_account (user_id, platform, external_id, handle, url, sync_interval, verification_status, verification_method, verified_at)
            VALUES (@user, @platform, @external_id, @handle, @url, interval '1 hour',
                    CASE WHEN @verified THEN 'verified' ELSE 'unverified' END,
                    CASE WHEN @verified THEN CASE @platform WHEN 'youtube' THEN 'youtube_oauth' ELSE 'feed_description' END END,
                    CASE WHEN @verified THEN now() END)
            RETURNING id
            """);
        command.Parameters.AddWithValue("user", userId ?? UserId);
        command.Parameters.AddWithValue("verified", verified);
        command.Parameters.AddWithValue("platform", platform);
        command.Parameters.AddWithValue("external_id", externalId);
        command.Parameters.Add(new Npgsql.NpgsqlParameter("handle", NpgsqlTypes.NpgsqlDbType.Text) { Value = (object?)handle ?? DBNull.Value });
        command.Parameters.Add(new Npgsql.NpgsqlParameter("url", NpgsqlTypes.NpgsqlDbType.Text) { Value = (object?)url ?? DBNull.Value });
        return (Guid)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>external_id → (status, updated_at, title) of an account's items.</summary>
    public async Task<Dictionary<string, (string Status, DateTimeOffset UpdatedAt, string Title)>> ItemsAsync(Guid accountId)
    {
        await using var command = DataSource.CreateCommand(
            "SELECT external_id, status, updated_at, title FROM content_item WHERE platform_account_id = @id");
        command.Parameters.AddWithValue("id", accountId);
        await using var reader = await command.ExecuteReaderAsync();
        var items = new Dictionary<string, (string, DateTimeOffset, string)>();
        while (await reader.ReadAsync())
        {
            items[reader.GetString(0)] = (reader.GetString(1), reader.GetFieldValue<DateTimeOffset>(2), reader.GetString(3));
        }

        return items;
    }
}
