using Platform.Core.Jobs;
using Platform.Core.Jobs.Args;

namespace Platform.Workers.Tests.Ingestion;

/// <summary><c>sync_feed</c> against a local web server: RSS 2.0, Atom, conditional GET, and documents it must refuse.</summary>
public class FeedSyncTests(IngestionDatabase db) : IClassFixture<IngestionDatabase>, IAsyncLifetime
{
    private FakeFeedServer server = null!;

    public async Task InitializeAsync() => server = await FakeFeedServer.StartAsync();

    public async Task DisposeAsync() => await server.DisposeAsync();

    private const string Rss =
        """
        <?xml version="1.0" encoding="UTF-8"?>
        <rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/" xmlns:content="http://purl.org/rss/1.0/modules/content/">
          <channel>
            <title>The Cooking Blog</title>
            <link>https://cooking.example.com/</link>
            <description>Recipes</description>
            <item>
              <title>Sourdough &amp; patience</title>
              <link>https://cooking.example.com/sourdough</link>
              <description>&lt;p&gt;A &lt;b&gt;slow&lt;/b&gt; bread.&lt;/p&gt;</description>
              <guid isPermaLink="false">1001</guid>
              <pubDate>Tue, 05 Mar 2024 09:30:00 +0100</pubDate>
              <category>Baking</category>
              <category>Bread</category>
              <media:thumbnail url="https://cdn.example.com/sourdough-thumb.jpg" width="320" height="180"/>
              <enclosure url="https://cdn.example.com/sourdough.jpg" length="12345" type="image/jpeg"/>
            </item>
            <item>
              <title>Ramen at home</title>
              <link>/ramen</link>
              <description>Broth first.</description>
              <pubDate>Mon, 04 Mar 2024 18:00:00 GMT</pubDate>
            </item>
          </channel>
        </rss>
        """;

    private const string AtomFeed =
        """
        <?xml version="1.0" encoding="utf-8"?>
        <feed xmlns="http://www.w3.org/2005/Atom">
          <title>Dev Notes</title>
          <id>urn:uuid:60a76c80-d399-11d9-b93C-0003939e0af6</id>
          <updated>2024-03-05T10:00:00Z</updated>
          <entry>
            <title type="html">Postgres &lt;em&gt;advisory&lt;/em&gt; locks</title>
            <link rel="alternate" href="https://dev.example.com/posts/advisory-locks"/>
            <id>tag:dev.example.com,2024:advisory-locks</id>
            <published>2024-03-05T10:00:00Z</published>
            <updated>2024-03-06T08:00:00Z</updated>
            <summary>How pg_try_advisory_xact_lock keeps one replica per tick.</summary>
            <category term="postgresql"/>
          </entry>
        </feed>
        """;

    private async Task<JobRecord> SyncAsync(Guid accountId, string expectedStatus = JobStatus.Completed, int? maxAttempts = null)
    {
        var job = await db.EnqueueAsync(SyncFeedArgs.Kind, new { platform_account_id = accountId }, maxAttempts: maxAttempts);
        return await db.WaitForStatusAsync(job.JobId, expectedStatus, TimeSpan.FromSeconds(60));
    }

    [Fact]
    public async Task An_rss_feed_is_imported_with_plain_text_dates_tags_and_media()
    {
        server.Documents["/rss.xml"] = new FakeDocument(Rss, "application/rss+xml", ETag: "\"v1\"");
        var url = server.Url("/rss.xml");
        var accountId = await db.AddAccountAsync("feed", url, url: url);
        await using var workers = await db.StartWorkersAsync();

        var job = await SyncAsync(accountId);

        Assert.Equal(2, job.Result!.Value.GetProperty("inserted").GetInt32());
        Assert.Equal(1, await db.CountAsync(
            """
            SELECT count(*) FROM content_item
            WHERE platform_account_id = @id AND platform = 'feed' AND external_id = @external
              AND title = 'Sourdough & patience' AND description = 'A slow bread.'
              AND published_at = '2024-03-05T08:30:00Z' AND url = 'https://cooking.example.com/sourdough'
              AND thumbnail_url = 'https://cdn.example.com/sourdough-thumb.jpg' AND slug LIKE 'sourdough-patience-%'
            """,
            ("id", accountId), ("external", url + "#1001")));
        Assert.Equal(1, await db.CountAsync(
            "SELECT count(*) FROM content_item WHERE platform_account_id = @id AND external_id = 'https://cooking.example.com/ramen' AND published_at = '2024-03-04T18:00:00Z'",
            ("id", accountId)));
        Assert.Equal(2, await db.CountAsync(
            "SELECT count(*) FROM content_tag t JOIN content_item c ON c.id = t.content_id WHERE c.platform_account_id = @id AND t.source = 'platform' AND t.tag IN ('baking', 'bread')",
            ("id", accountId)));
        Assert.Equal(1, await db.CountAsync(
            "SELECT count(*) FROM content_media m JOIN content_item c ON c.id = m.content_id WHERE c.platform_account_id = @id AND m.kind = 'image' AND m.content_type = 'image/jpeg' AND m.position = 1",
            ("id", accountId)));
        Assert.Equal(1, await db.CountAsync(
            "SELECT count(*) FROM platform_account WHERE id = @id AND title = 'The Cooking Blog' AND etag = '\"v1\"' AND last_synced_at IS NOT NULL",
            ("id", accountId)));
    }

    [Fact]
    public async Task An_atom_feed_is_imported()
    {
        server.Documents["/atom.xml"] = new FakeDocument(AtomFeed, "application/atom+xml");
        var url = server.Url("/atom.xml");
        var accountId = await db.AddAccountAsync("feed", url, url: url);
        await using var workers = await db.StartWorkersAsync();

        await SyncAsync(accountId);

        Assert.Equal(1, await db.CountAsync(
            """
            SELECT count(*) FROM content_item
            WHERE platform_account_id = @id AND external_id = 'tag:dev.example.com,2024:advisory-locks'
              AND title = 'Postgres advisory locks' AND published_at = '2024-03-05T10:00:00Z'
              AND url = 'https://dev.example.com/posts/advisory-locks'
              AND EXISTS (SELECT 1 FROM content_tag t WHERE t.content_id = content_item.id AND t.tag = 'postgresql')
            """,
            ("id", accountId)));
    }

    [Fact]
    public async Task A_re_sync_sends_the_stored_validators_and_a_304_writes_nothing()
    {
        const string lastModified = "Tue, 05 Mar 2024 10:00:00 GMT";
        server.Documents["/conditional.xml"] = new FakeDocument(Rss.Replace("1001", "2001").Replace("/ramen", "/ramen-2"), "application/rss+xml", ETag: "\"abc\"", LastModified: lastModified);
        var url = server.Url("/conditional.xml");
        var accountId = await db.AddAccountAsync("feed", url, url: url);
        await using var workers = await db.StartWorkersAsync();
        await SyncAsync(accountId);
        var before = await db.ItemsAsync(accountId);

        var job = await SyncAsync(accountId);

        Assert.True(job.Result!.Value.GetProperty("not_modified").GetBoolean());
        var second = server.Requests.Where(r => r.Path == "/conditional.xml").Last();
        Assert.Equal("\"abc\"", second.IfNoneMatch);
        Assert.Equal(lastModified, second.IfModifiedSince);
        var after = await db.ItemsAsync(accountId);
        Assert.Equal(before, after);
        Assert.Equal(1, await db.CountAsync(
            "SELECT count(*) FROM platform_account WHERE id = @id AND etag = '\"abc\"' AND last_modified = @lm", ("id", accountId), ("lm", lastModified)));
    }

    [Theory]
    [InlineData("/xxe.xml", """<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><rss version="2.0"><channel><title>x</title><item><title>&xxe;</title><guid>1</guid></item></channel></rss>""", "DTD")]
    [InlineData("/truncated.xml", """<?xml version="1.0"?><rss version="2.0"><channel><title>x</title><item><title>one</title><guid>1</guid></item><item><title>tw""", "not well-formed")]
    public async Task A_document_with_a_dtd_or_broken_xml_fails_and_writes_no_rows(string path, string body, string expected)
    {
        server.Documents[path] = new FakeDocument(body, "application/rss+xml");
        var url = server.Url(path);
        var accountId = await db.AddAccountAsync("feed", url, url: url);
        await using var workers = await db.StartWorkersAsync();

        var job = await SyncAsync(accountId, JobStatus.Failed, maxAttempts: 1);

        Assert.Contains(expected, job.Error);
        Assert.Equal(0, await db.CountAsync("SELECT count(*) FROM content_item WHERE platform_account_id = @id", ("id", accountId)));
        Assert.Equal(0, await db.CountAsync("SELECT count(*) FROM platform_account WHERE id = @id AND last_synced_at IS NOT NULL", ("id", accountId)));
    }

    [Fact]
    public async Task A_feed_on_a_private_address_is_refused_unless_allowed()
    {
        server.Documents["/private.xml"] = new FakeDocument(Rss, "application/rss+xml");
        var url = server.Url("/private.xml");
        var accountId = await db.AddAccountAsync("feed", url, url: url);
        // The fake's port is allowed, so the address rule is what refuses it.
        await using var workers = await db.StartWorkersAsync(new Dictionary<string, string?>
        {
            ["Ingestion:AllowPrivateNetworks"] = "false",
            ["Ingestion:AllowedPorts:0"] = new Uri(url).Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });

        var job = await SyncAsync(accountId, JobStatus.Failed, maxAttempts: 1);

        Assert.Contains("not a public address", job.Error);
        Assert.DoesNotContain(server.Requests, r => r.Path == "/private.xml");
    }
}
