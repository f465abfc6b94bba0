namespace Platform.Api.Tests.Discovery;

/// <summary>
/// <see cref="ApiHost"/> with its own Redis key prefix (test classes share one Redis but not one database) and
/// <see cref="SeedAsync"/> for the class's data.
/// </summary>
public class DiscoveryHost : ApiHost
{
    public DiscoveryData Data => new(DataSource);

    protected override void Configure(IDictionary<string, string?> settings)
    {
        settings["Discovery:CacheKeyPrefix"] = $"test:{Guid.NewGuid():N}:";
        settings["Discovery:VisitorHashSalt"] = "test-salt";
    }

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        await SeedAsync(Data);
    }

    protected virtual Task SeedAsync(DiscoveryData data) => Task.CompletedTask;
}
