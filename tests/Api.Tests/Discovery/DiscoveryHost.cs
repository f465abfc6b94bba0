namespace Platform.Api.Tests.Discovery;

/// <summary>
/// <see cref="ApiHost"/> with its own Redis key prefix (test classes share one Redis but not one database) and
/// <see cref="SeedAsync"/> for the class's data.
/// </summary>
public class DiscoveryHost : ApiHost
{
    public const string SigningKey = "test-signing-key-of-at-least-32-bytes-for-hs256!";
    public const string Issuer = "platform-tests";
    public const string Audience = "platform-api";

    public DiscoveryData Data => new(DataSource);

    /// <summary>The settings this host was started with (to start a second replica against the same database and Redis).</summary>
    public IReadOnlyDictionary<string, string?> Settings { get; private set; } = new Dictionary<string, string?>();

    protected override void Configure(IDictionary<string, string?> settings)
    {
        settings["Discovery:CacheKeyPrefix"] = $"test:{Guid.NewGuid():N}:";
        settings["Discovery:VisitorHashSalt"] = "test-salt";
        settings["Auth:SigningKey"] = SigningKey;
        settings["Auth:Issuer"] = Issuer;
        settings["Auth:Audience"] = Audience;
        Settings = new Dictionary<string, string?>(settings);
    }

    /// <summary>A client with a bearer token for a user of <paramref name="role"/>.</summary>
    public HttpClient CreateClient(string role)
    {
        var client = CreateClient();
        client.DefaultRequestHeaders.Authorization = new("Bearer", Tokens.Create(role));
        return client;
    }

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        await SeedAsync(Data);
        await ScalarAsync<int>("SELECT refresh_search_words()"); // what the Workers' trending tick does
    }

    protected virtual Task SeedAsync(DiscoveryData data) => Task.CompletedTask;
}
