using System.Diagnostics;
using System.Net;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Platform.Core.Ingestion;
using Platform.Core.Ingestion.Feeds;
using Platform.Core.Jobs;
using Platform.Core.Jobs.Args;
using Platform.Workers.Ingestion;

namespace Platform.Workers.Tests.Ingestion;

/// <summary>Feeds and URLs chosen to hurt the Workers: each fails its own sync, at once when retrying cannot help, and nothing else stalls.</summary>
public class HostileFeedTests(IngestionDatabase db) : IClassFixture<IngestionDatabase>, IAsyncLifetime
{
    private FakeFeedServer server = null!;

    public async Task InitializeAsync() => server = await FakeFeedServer.StartAsync();

    public async Task DisposeAsync() => await server.DisposeAsync();

    private const string SmallFeed =
        """
        <?xml version="1.0"?><rss version="2.0"><channel><title>Fine</title><item><title>One</title><guid>https://fine.example.com/1</guid></item></channel></rss>
        """;

    private async Task<Guid> EnqueueSyncAsync(string url)
    {
        var accountId = await db.AddAccountAsync("feed", url, url: url);
        return (await db.EnqueueAsync(SyncFeedArgs.Kind, new { platform_account_id = accountId })).JobId;
    }

    [Fact]
    public async Task A_million_deep_feed_fails_permanently_at_once_and_the_workers_keep_running()
    {
        var deep = new StringBuilder("<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>");
        deep.Insert(deep.Length, "<b>", 1_000_000).Append("deep").Insert(deep.Length, "</b>", 1_000_000).Append("</title></channel></rss>");
        server.Documents["/deep.xml"] = new FakeDocument(deep.ToString(), "application/rss+xml");
        server.Documents["/fine.xml"] = new FakeDocument(SmallFeed, "application/rss+xml");
        await using var workers = await db.StartWorkersAsync();
        var clock = Stopwatch.StartNew();

        var deepJob = await EnqueueSyncAsync(server.Url("/deep.xml"));
        var failed = await db.WaitForStatusAsync(deepJob, JobStatus.Failed, TimeSpan.FromSeconds(30));
        var fineJob = await EnqueueSyncAsync(server.Url("/fine.xml"));
        await db.WaitForStatusAsync(fineJob, JobStatus.Completed, TimeSpan.FromSeconds(30));

        Assert.Equal(1, failed.Attempts);
        Assert.Contains("deeper than", failed.Error);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"took {clock.Elapsed}");
    }

    [Fact]
    public async Task A_feed_over_the_size_bound_fails_permanently_at_once()
    {
        server.Documents["/huge.xml"] = new FakeDocument(SmallFeed.Replace("<title>Fine</title>", "<title>" + new string('x', FeedClient.MaxFeedBytes) + "</title>"), "application/rss+xml");
        await using var workers = await db.StartWorkersAsync();

        var job = await db.WaitForStatusAsync(await EnqueueSyncAsync(server.Url("/huge.xml")), JobStatus.Failed, TimeSpan.FromSeconds(30));

        Assert.Equal(1, job.Attempts);
        Assert.Contains("larger than 10 MB", job.Error);
    }

    [Fact]
    public async Task A_feed_that_drips_a_byte_a_second_ends_at_its_deadline_while_another_sync_completes()
    {
        server.Drips["/drip.xml"] = SmallFeed + new string(' ', 600);
        server.Documents["/fine.xml"] = new FakeDocument(SmallFeed, "application/rss+xml");
        await using var workers = await db.StartWorkersAsync(new Dictionary<string, string?> { ["Ingestion:FeedFetchTimeout"] = "00:00:03" });
        var clock = Stopwatch.StartNew();

        var dripJob = (await db.EnqueueAsync(SyncFeedArgs.Kind, new { platform_account_id = await db.AddAccountAsync("feed", server.Url("/drip.xml"), url: server.Url("/drip.xml")) }, maxAttempts: 1)).JobId;
        var fineJob = await EnqueueSyncAsync(server.Url("/fine.xml"));
        var fine = await db.WaitForStatusAsync(fineJob, JobStatus.Completed, TimeSpan.FromSeconds(15));
        var drip = await db.WaitForStatusAsync(dripJob, JobStatus.Failed, TimeSpan.FromSeconds(15));

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(15), $"took {clock.Elapsed}");
        Assert.True(fine.CompletedAt < drip.CompletedAt);
        Assert.Contains("did not answer in full within 3 s", drip.Error);
    }

    public static TheoryData<string, string> Refusals => new()
    {
        { "http://127.0.0.1:{port}/feed.xml", "standard ports" },
        { "http://127.0.0.1/feed.xml", "not a public address" },
        { "http://[64:ff9b::7f00:1]/feed.xml", "not a public address" },
        { "http://[2002:7f00:1::1]/feed.xml", "not a public address" },
        { "http://[::127.0.0.1]/feed.xml", "not a public address" },
        { "http://198.18.0.1/feed.xml", "not a public address" },
        { "http://no-such-host.invalid/feed.xml", "does not exist" },
        { "ftp://feeds.example.com/feed.xml", "only http and https" },
    };

    [Theory]
    [MemberData(nameof(Refusals))]
    public async Task A_refused_url_fails_permanently_at_once_without_retries_and_names_no_address(string template, string expected)
    {
        var port = new Uri(server.BaseUrl).Port;
        var url = template.Replace("{port}", port.ToString(), StringComparison.Ordinal);
        await using var workers = await db.StartWorkersAsync(new Dictionary<string, string?> { ["Ingestion:AllowPrivateNetworks"] = "false" });
        var clock = Stopwatch.StartNew();

        var job = await db.WaitForStatusAsync(await EnqueueSyncAsync(url), JobStatus.Failed, TimeSpan.FromSeconds(20));

        Assert.Equal(1, job.Attempts);
        Assert.Contains(expected, job.Error);
        Assert.DoesNotContain(port.ToString(), job.Error);
        Assert.DoesNotContain("127.0.0.1", job.Error);
        Assert.DoesNotContain("198.18", job.Error);
        Assert.DoesNotContain("ff9b", job.Error);
        Assert.DoesNotContain("invalid", job.Error);
        Assert.DoesNotContain("Exception", job.Error);
        Assert.Empty(server.Requests);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"took {clock.Elapsed}");
    }

    [Fact]
    public async Task Feed_fetches_get_no_retry_handler_even_when_the_host_adds_one_to_every_client()
    {
        server.Documents["/busy.xml"] = new FakeDocument(string.Empty, "text/plain", Status: 503);
        var url = server.Url("/busy.xml");
        var accountId = await db.AddAccountAsync("feed", url, url: url);
        await using var workers = await WorkerHost.StartAsync(
            db.ConnectionString,
            services =>
            {
                services.ConfigureHttpClientDefaults(http => http.AddStandardResilienceHandler());
                services.AddContentIngestion();
            },
            new Dictionary<string, string?>
            {
                ["Ingestion:AllowPrivateNetworks"] = "true",
                ["YouTube:ApiBase"] = db.YouTube.ApiBase,
                ["YouTube:ApiKey"] = FakeYouTube.ApiKey,
            });

        var job = await db.WaitForStatusAsync(
            (await db.EnqueueAsync(SyncFeedArgs.Kind, new { platform_account_id = accountId }, maxAttempts: 1)).JobId, JobStatus.Failed, TimeSpan.FromSeconds(30));

        Assert.Single(server.Requests, r => r.Path == "/busy.xml");
        Assert.Contains("answered HTTP 503", job.Error);
        Assert.DoesNotContain(new Uri(server.BaseUrl).Port.ToString(), job.Error);
    }

    [Theory]
    [InlineData("127.0.0.1", false)]
    [InlineData("10.1.2.3", false)]
    [InlineData("169.254.169.254", false)]
    [InlineData("100.64.0.1", false)]
    [InlineData("198.18.0.1", false)]
    [InlineData("198.19.255.255", false)]
    [InlineData("192.0.2.1", false)]
    [InlineData("240.0.0.1", false)]
    [InlineData("::1", false)]
    [InlineData("::", false)]
    [InlineData("::127.0.0.1", false)]
    [InlineData("::ffff:10.0.0.1", false)]
    [InlineData("64:ff9b::a00:1", false)]
    [InlineData("64:ff9b:1::1", false)]
    [InlineData("2002:a00:1::1", false)]
    [InlineData("2001:0:4136:e378::1", false)]
    [InlineData("2001:db8::1", false)]
    [InlineData("fd00::1", false)]
    [InlineData("fe80::1", false)]
    [InlineData("93.184.216.34", true)]
    [InlineData("198.20.0.1", true)]
    [InlineData("2606:2800:220:1:248:1893:25c8:1946", true)]
    public void Only_global_addresses_are_public(string address, bool expected) =>
        Assert.Equal(expected, SafeHttpHandler.IsPublic(IPAddress.Parse(address)));

    [Fact]
    public void Html_to_text_is_linear_on_unclosed_tags()
    {
        var hostile = string.Concat(Enumerable.Repeat("<a ", 200_000));
        var clock = Stopwatch.StartNew();

        var text = FeedParser.PlainText("<p>" + hostile);

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1), $"took {clock.Elapsed}");
        Assert.StartsWith("<a <a", text);
        Assert.Equal("x bold end", FeedParser.PlainText("x <b>bold</b> end"));
    }
}
