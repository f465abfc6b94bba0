using Platform.Core.Jobs;
using Platform.Core.Jobs.Args;

namespace Platform.Workers.Tests.Ingestion;

/// <summary>
/// Issue 12 §1 in the importer: an unverified account's items are stored but not published while
/// <c>Ingestion:RequireOwnershipVerification</c> is on; the verified owner's sync takes over items an unverified
/// importer of another user stored, and an unverified importer never takes the verified owner's items.
/// </summary>
public class OwnershipIngestionTests(IngestionDatabase db) : IClassFixture<IngestionDatabase>, IAsyncLifetime
{
    private FakeFeedServer server = null!;

    public async Task InitializeAsync() => server = await FakeFeedServer.StartAsync();

    public async Task DisposeAsync() => await server.DisposeAsync();

    private static string Rss(params string[] guids) =>
        $"""
        <?xml version="1.0" encoding="UTF-8"?>
        <rss version="2.0"><channel><title>Owned blog</title><link>https://owned.example/</link><description>x</description>
        {string.Concat(guids.Select(g => $"<item><title>Post {g}</title><link>https://owned.example/{g}</link><guid>https://owned.example/{g}</guid></item>"))}
        </channel></rss>
        """;

    private async Task SyncAsync(Guid accountId)
    {
        var job = await db.EnqueueAsync(SyncFeedArgs.Kind, new { platform_account_id = accountId });
        await db.WaitForStatusAsync(job.JobId, JobStatus.Completed, TimeSpan.FromSeconds(60));
    }

    private async Task<Guid> OtherUserAsync()
    {
        var id = Guid.NewGuid();
        await db.CountAsync("WITH u AS (INSERT INTO users (id) VALUES (@id) RETURNING 1) SELECT count(*) FROM u", ("id", id));
        return id;
    }

    [Fact]
    public async Task An_unverified_account_imports_pending_items_and_with_the_requirement_off_publishes_them()
    {
        var path = $"/pending-{Guid.NewGuid():N}.xml";
        // Items are keyed by (platform, guid): each test its own guids.
        server.Documents[path] = new FakeDocument(Rss("p-a", "p-b"), "application/rss+xml");
        var accountId = await db.AddAccountAsync("feed", server.Url(path), verified: false);
        await using (var workers = await db.StartWorkersAsync())
        {
            await SyncAsync(accountId);
        }

        var pending = await db.ItemsAsync(accountId);
        server.Documents[path] = new FakeDocument(Rss("p-a", "p-b", "p-c"), "application/rss+xml");
        await using (var workers = await db.StartWorkersAsync(new Dictionary<string, string?> { ["Ingestion:RequireOwnershipVerification"] = "false" }))
        {
            await SyncAsync(accountId);
        }

        var demo = await db.ItemsAsync(accountId);
        Assert.Equal(2, pending.Count);
        Assert.All(pending.Values, i => Assert.Equal("pending_verification", i.Status));
        Assert.Equal(3, demo.Count);
        Assert.All(demo.Values, i => Assert.Equal("published", i.Status));
    }

    [Fact]
    public async Task The_verified_owners_sync_takes_over_an_unverified_importers_items_and_never_the_reverse()
    {
        var path = $"/owned-{Guid.NewGuid():N}.xml";
        var url = server.Url(path);
        server.Documents[path] = new FakeDocument(Rss("x1", "x2"), "application/rss+xml");
        var impostor = await OtherUserAsync();
        // The impostor connected the feed by another spelling, so the takeover at verification did not see it.
        var impostorAccount = await db.AddAccountAsync("feed", url + "?ref=1", verified: false, userId: impostor);
        await using var workers = await db.StartWorkersAsync();
        await SyncAsync(impostorAccount);
        var importedByImpostor = await db.ItemsAsync(impostorAccount);

        var ownerAccount = await db.AddAccountAsync("feed", url, verified: true);
        await SyncAsync(ownerAccount);
        var owned = await db.ItemsAsync(ownerAccount);

        var later = await OtherUserAsync();
        var laterAccount = await db.AddAccountAsync("feed", url + "?ref=2", verified: false, userId: later);
        await SyncAsync(laterAccount);

        Assert.Equal(2, importedByImpostor.Count);
        Assert.Equal(["https://owned.example/x1", "https://owned.example/x2"], owned.Keys.Order());
        Assert.All(owned.Values, i => Assert.Equal("published", i.Status));
        Assert.Empty(await db.ItemsAsync(impostorAccount));
        Assert.Empty(await db.ItemsAsync(laterAccount));
        Assert.Equal(2, await db.CountAsync("SELECT count(*) FROM content_item WHERE platform_account_id = @id AND creator_id = @user", ("id", ownerAccount), ("user", db.UserId)));
    }
}
