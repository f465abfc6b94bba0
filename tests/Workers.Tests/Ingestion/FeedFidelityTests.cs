using System.Text;
using System.Text.Json;
using Platform.Core.Jobs;
using Platform.Core.Jobs.Args;

namespace Platform.Workers.Tests.Ingestion;

/// <summary>
/// <c>sync_feed</c> keeps text, links and dates as the publisher meant them: Media RSS, xml:base and redirects,
/// encodings, the date forms real feeds use, cuts at text-element boundaries, and every feed format in use.
/// </summary>
public class FeedFidelityTests(IngestionDatabase db) : IClassFixture<IngestionDatabase>, IAsyncLifetime
{
    private FakeFeedServer server = null!;

    public async Task InitializeAsync() => server = await FakeFeedServer.StartAsync();

    public async Task DisposeAsync() => await server.DisposeAsync();

    private async Task<JobRecord> SyncAsync(Guid accountId, string expectedStatus = JobStatus.Completed, int? maxAttempts = null)
    {
        var job = await db.EnqueueAsync(SyncFeedArgs.Kind, new { platform_account_id = accountId }, maxAttempts: maxAttempts);
        return await db.WaitForStatusAsync(job.JobId, expectedStatus, TimeSpan.FromSeconds(60));
    }

    private async Task<(Guid AccountId, JobRecord Job)> ServeAndSyncAsync(string path, FakeDocument document, string expectedStatus = JobStatus.Completed, int? maxAttempts = null)
    {
        server.Documents[path] = document;
        var url = server.Url(path);
        var accountId = await db.AddAccountAsync("feed", url, url: url);
        await using var workers = await db.StartWorkersAsync();
        return (accountId, await SyncAsync(accountId, expectedStatus, maxAttempts));
    }

    /// <summary>The named columns of the account's item with <paramref name="externalId"/> (or of its only item).</summary>
    private async Task<Dictionary<string, object?>> ItemAsync(Guid accountId, string? externalId, params string[] columns)
    {
        await using var command = db.DataSource.CreateCommand(
            $"SELECT {string.Join(", ", columns)} FROM content_item WHERE platform_account_id = @id AND (@external::text IS NULL OR external_id = @external)");
        command.Parameters.AddWithValue("id", accountId);
        command.Parameters.Add(new Npgsql.NpgsqlParameter("external", NpgsqlTypes.NpgsqlDbType.Text) { Value = (object?)externalId ?? DBNull.Value });
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync(), $"no item {externalId}");
        var row = columns.Select((c, i) => (c, reader.IsDBNull(i) ? null : reader.GetValue(i))).ToDictionary(x => x.c, x => x.Item2);
        Assert.False(await reader.ReadAsync(), $"more than one item {externalId}");
        return row;
    }

    private const string YouTubeChannelFeed =
        """
        <?xml version="1.0" encoding="UTF-8"?>
        <feed xmlns:yt="http://www.youtube.com/xml/schemas/2015" xmlns:media="http://search.yahoo.com/mrss/" xmlns="http://www.w3.org/2005/Atom">
         <link rel="self" href="http://www.youtube.com/feeds/videos.xml?channel_id=UCuAXFkgsw1L7xaCfnd5JJOw"/>
         <id>yt:channel:uAXFkgsw1L7xaCfnd5JJOw</id>
         <yt:channelId>UCuAXFkgsw1L7xaCfnd5JJOw</yt:channelId>
         <title>Rick Astley</title>
         <link rel="alternate" href="https://www.youtube.com/channel/UCuAXFkgsw1L7xaCfnd5JJOw"/>
         <author><name>Rick Astley</name><uri>https://www.youtube.com/channel/UCuAXFkgsw1L7xaCfnd5JJOw</uri></author>
         <published>2015-02-01T10:00:00+00:00</published>
         <entry>
          <id>yt:video:dQw4w9WgXcQ</id>
          <yt:videoId>dQw4w9WgXcQ</yt:videoId>
          <yt:channelId>UCuAXFkgsw1L7xaCfnd5JJOw</yt:channelId>
          <title>Never Gonna Give You Up</title>
          <link rel="alternate" href="https://www.youtube.com/watch?v=dQw4w9WgXcQ"/>
          <author><name>Rick Astley</name><uri>https://www.youtube.com/channel/UCuAXFkgsw1L7xaCfnd5JJOw</uri></author>
          <published>2009-10-25T06:57:33+00:00</published>
          <updated>2024-05-02T08:00:00+00:00</updated>
          <media:group>
           <media:title>Never Gonna Give You Up</media:title>
           <media:content url="https://www.youtube.com/v/dQw4w9WgXcQ?version=3" type="application/x-shockwave-flash" width="640" height="390"/>
           <media:thumbnail url="https://i2.ytimg.com/vi/dQw4w9WgXcQ/hqdefault.jpg" width="480" height="360"/>
           <media:description>The official video.
        Remastered in 4K.</media:description>
           <media:community>
            <media:starRating count="18000000" average="5.00" min="1" max="5"/>
            <media:statistics views="1600000000"/>
           </media:community>
          </media:group>
         </entry>
        </feed>
        """;

    [Fact]
    public async Task A_youtube_channel_feed_keeps_its_media_rss_description_thumbnail_player_and_counters()
    {
        var (accountId, _) = await ServeAndSyncAsync("/feeds/videos.xml", new FakeDocument(YouTubeChannelFeed, "application/atom+xml; charset=UTF-8"));

        var item = await ItemAsync(accountId, null, "title", "description", "thumbnail_url", "view_count", "like_count", "url");
        Assert.Equal("Never Gonna Give You Up", item["title"]);
        Assert.Equal("The official video. Remastered in 4K.", item["description"]);
        Assert.Equal("https://i2.ytimg.com/vi/dQw4w9WgXcQ/hqdefault.jpg", item["thumbnail_url"]);
        Assert.Equal(1_600_000_000L, item["view_count"]);
        Assert.Equal(18_000_000L, item["like_count"]);
        Assert.Equal("https://www.youtube.com/watch?v=dQw4w9WgXcQ", item["url"]);
        Assert.Equal(1, await db.CountAsync(
            """
            SELECT count(*) FROM content_media m JOIN content_item c ON c.id = m.content_id
            WHERE c.platform_account_id = @id AND m.url = 'https://www.youtube.com/v/dQw4w9WgXcQ?version=3'
              AND m.kind = 'player' AND m.content_type = 'application/x-shockwave-flash'
            """,
            ("id", accountId)));
        Assert.Equal(1, await db.CountAsync(
            "SELECT count(*) FROM content_media m JOIN content_item c ON c.id = m.content_id WHERE c.platform_account_id = @id AND m.kind IN ('image', 'thumbnail')",
            ("id", accountId)));
    }

    [Fact]
    public async Task Links_resolve_against_xml_base_and_the_url_after_redirects()
    {
        server.Documents["/old/feed.xml"] = new FakeDocument(string.Empty, "text/plain", Status: 301, Location: "/blog/2024/feed.xml");
        server.Documents["/blog/2024/feed.xml"] = new FakeDocument(
            """
            <?xml version="1.0" encoding="utf-8"?>
            <feed xmlns="http://www.w3.org/2005/Atom" xml:base="/blog/">
              <title>Based</title>
              <entry>
                <id>urn:based:1</id><title>Against the feed's base</title>
                <link href="posts/one"/>
                <link rel="enclosure" type="audio/mpeg" href="../media/one.mp3"/>
              </entry>
              <entry xml:base="https://static.example.org/2024/">
                <id>urn:based:2</id><title>Against its own base</title>
                <link rel="alternate" type="text/html" href="two.html?x=1#top"/>
              </entry>
            </feed>
            """, "application/atom+xml");
        server.Documents["/moved/rss"] = new FakeDocument(string.Empty, "text/plain", Status: 302, Location: "/site/news/rss.xml");
        server.Documents["/site/news/rss.xml"] = new FakeDocument(
            """
            <rss version="2.0"><channel><title>No link</title>
              <item><title>Relative</title><link>item-9</link><guid isPermaLink="false">based-9</guid>
                <enclosure url="img/cover.jpg" type="image/jpeg" length="1"/></item>
            </channel></rss>
            """, "application/rss+xml");

        // The accounts keep the addresses they were connected with: only links resolve against where the feed now lives.
        var oldUrl = server.Url("/old/feed.xml");
        var oldAccount = await db.AddAccountAsync("feed", oldUrl, url: oldUrl);
        var movedUrl = server.Url("/moved/rss");
        var movedAccount = await db.AddAccountAsync("feed", movedUrl, url: movedUrl);
        await using (var workers = await db.StartWorkersAsync())
        {
            await SyncAsync(oldAccount);
            await SyncAsync(movedAccount);
        }

        Assert.Equal(server.Url("/blog/posts/one"), (await ItemAsync(oldAccount, "urn:based:1", "url"))["url"]);
        Assert.Equal("https://static.example.org/2024/two.html?x=1#top", (await ItemAsync(oldAccount, "urn:based:2", "url"))["url"]);
        Assert.Equal(1, await db.CountAsync(
            "SELECT count(*) FROM content_media m JOIN content_item c ON c.id = m.content_id WHERE c.platform_account_id = @id AND m.url = @url AND m.kind = 'audio'",
            ("id", oldAccount), ("url", server.Url("/media/one.mp3"))));
        Assert.Equal(server.Url("/site/news/item-9"), (await ItemAsync(movedAccount, null, "url"))["url"]);
        Assert.Equal(1, await db.CountAsync(
            "SELECT count(*) FROM content_media m JOIN content_item c ON c.id = m.content_id WHERE c.platform_account_id = @id AND m.url = @url AND m.kind = 'image'",
            ("id", movedAccount), ("url", server.Url("/site/news/img/cover.jpg"))));
        Assert.Equal(movedUrl + "#based-9", await db.ScalarAsync<string>($"SELECT external_id FROM content_item WHERE platform_account_id = '{movedAccount}'"));
    }

    private static byte[] Latin(string xml) => xml.Select(c => (byte)c).ToArray();

    [Theory]
    [InlineData("windows-1252 declaration", "<?xml version=\"1.0\" encoding=\"windows-1252\"?>", "text/xml", "\u0093Caf\u00e9\u0094 \u0080 5", "\u201cCaf\u00e9\u201d \u20ac 5")]
    [InlineData("windows-1251 declaration", "<?xml version=\"1.0\" encoding=\"windows-1251\"?>", "application/rss+xml", "\u00cf\u00f0\u00e8\u00e2\u00e5\u00f2", "\u041f\u0440\u0438\u0432\u0435\u0442")]
    [InlineData("ISO-8859-1 in the header only", "<?xml version=\"1.0\"?>", "application/rss+xml; charset=ISO-8859-1", "Caf\u00e9 cr\u00e8me", "Caf\u00e9 cr\u00e8me")]
    [InlineData("no declaration, charset in the header", "", "text/xml; charset=\"windows-1252\"", "na\u00efve \u0085", "na\u00efve \u2026")]
    public async Task A_feed_is_decoded_by_bom_then_xml_declaration_then_http_charset(string name, string declaration, string contentType, string latinTitle, string expected)
    {
        var body = Latin($"{declaration}<rss version=\"2.0\"><channel><title>t</title><item><title>{latinTitle}</title><guid>https://enc.example.com/{name.Replace(' ', '-')}</guid></item></channel></rss>");
        var (accountId, _) = await ServeAndSyncAsync($"/enc/{Guid.NewGuid():N}.xml", new FakeDocument(string.Empty, contentType, Bytes: body), maxAttempts: 1);

        Assert.Equal(expected, (await ItemAsync(accountId, null, "title"))["title"]);
    }

    [Fact]
    public async Task A_byte_order_mark_wins_over_the_declaration_and_the_header()
    {
        var xml = "<?xml version=\"1.0\" encoding=\"windows-1252\"?><rss version=\"2.0\"><channel><title>t</title><item><title>Grüße ✓</title><guid>https://enc.example.com/bom</guid></item></channel></rss>";
        var body = Encoding.UTF8.GetPreamble().Concat(Encoding.UTF8.GetBytes(xml)).ToArray();
        var (accountId, _) = await ServeAndSyncAsync("/enc/bom.xml", new FakeDocument(string.Empty, "text/xml; charset=ISO-8859-1", Bytes: body), maxAttempts: 1);

        Assert.Equal("Grüße ✓", (await ItemAsync(accountId, null, "title"))["title"]);
    }

    [Fact]
    public async Task A_feed_in_an_unknown_encoding_fails_permanently_on_the_first_attempt_with_a_clear_message()
    {
        var body = Latin("<?xml version=\"1.0\" encoding=\"x-klingon-7\"?><rss version=\"2.0\"><channel><title>t</title></channel></rss>");

        var (accountId, job) = await ServeAndSyncAsync("/enc/klingon.xml", new FakeDocument(string.Empty, "text/xml", Bytes: body), JobStatus.Failed, maxAttempts: 5);

        Assert.Equal(1, job.Attempts);
        Assert.Contains("x-klingon-7", job.Error);
        Assert.Contains("encoding", job.Error);
        Assert.Equal(0, await db.CountAsync("SELECT count(*) FROM content_item WHERE platform_account_id = @id", ("id", accountId)));
    }

    [Fact]
    public async Task Dates_in_the_forms_real_feeds_use_are_read_future_ones_clamped_unknown_ones_kept_unknown_and_stable()
    {
        static string Feed(string suffix) =>
            $"""
            <rss version="2.0"><channel><title>Dates</title>
              <item><title>cest{suffix}</title><guid>https://dates.example.com/cest</guid><pubDate>Tue, 10 Jun 2025 04:00:00 CEST</pubDate></item>
              <item><title>no weekday{suffix}</title><guid>https://dates.example.com/noweekday</guid><pubDate>10 Jun 2025 04:00:00 +0200</pubDate></item>
              <item><title>no comma{suffix}</title><guid>https://dates.example.com/nocomma</guid><pubDate>Tue 10 Jun 2025 04:00:00 PST</pubDate></item>
              <item><title>iso{suffix}</title><guid>https://dates.example.com/iso</guid><pubDate>2025-06-10T04:00:00+02:00</pubDate></item>
              <item><title>one-digit hour{suffix}</title><guid>https://dates.example.com/onedigit</guid><pubDate>Tue, 10 Jun 2025 4:00 EDT</pubDate></item>
              <item><title>future{suffix}</title><guid>https://dates.example.com/future</guid><pubDate>Fri, 01 Jan 2099 00:00:00 GMT</pubDate></item>
              <item><title>garbage{suffix}</title><guid>https://dates.example.com/garbage</guid><pubDate>sometime last week</pubDate></item>
            </channel></rss>
            """;
        var (accountId, _) = await ServeAndSyncAsync("/dates.xml", new FakeDocument(Feed(""), "application/rss+xml", ETag: "\"1\""));

        async Task<DateTime?> PublishedAsync(string id) => (DateTime?)(await ItemAsync(accountId, "https://dates.example.com/" + id, "published_at"))["published_at"];
        var expected = new DateTime(2025, 6, 10, 2, 0, 0, DateTimeKind.Utc);
        Assert.Equal(expected, await PublishedAsync("cest"));
        Assert.Equal(expected, await PublishedAsync("noweekday"));
        Assert.Equal(expected.AddHours(10), await PublishedAsync("nocomma"));
        Assert.Equal(expected, await PublishedAsync("iso"));
        Assert.Equal(expected.AddHours(6), await PublishedAsync("onedigit"));

        // In the future: the time first seen. Unknown: no publisher's date, ordered by the time first seen.
        Assert.Equal(2, await db.CountAsync(
            """
            SELECT count(*) FROM content_item WHERE platform_account_id = @id AND external_id IN ('https://dates.example.com/future', 'https://dates.example.com/garbage')
              AND published_at = created_at AND published_at <= now()
            """,
            ("id", accountId)));
        Assert.Null((await ItemAsync(accountId, "https://dates.example.com/garbage", "source_published_at"))["source_published_at"]);
        Assert.Equal(new DateTime(2099, 1, 1, 0, 0, 0, DateTimeKind.Utc), (await ItemAsync(accountId, "https://dates.example.com/future", "source_published_at"))["source_published_at"]);
        var firstSeen = new Dictionary<string, DateTime?>
        {
            ["future"] = await PublishedAsync("future"),
            ["garbage"] = await PublishedAsync("garbage"),
        };

        // A re-sync that changes every entry leaves those times where they were.
        await Task.Delay(50);
        server.Documents["/dates.xml"] = new FakeDocument(Feed(" (edited)"), "application/rss+xml", ETag: "\"2\"");
        await using (var workers = await db.StartWorkersAsync())
        {
            var job = await SyncAsync(accountId);
            Assert.Equal(7, job.Result!.Value.GetProperty("updated").GetInt32());
        }

        Assert.Equal(firstSeen["future"], await PublishedAsync("future"));
        Assert.Equal(firstSeen["garbage"], await PublishedAsync("garbage"));
        Assert.Equal(expected, await PublishedAsync("cest"));
    }

    [Fact]
    public async Task Every_cut_is_at_a_text_element_boundary_and_one_odd_entry_never_loses_the_page()
    {
        var longTitle = new string('a', 499) + "\U0001F600";
        var metaTitle = new string('c', 69) + "\U0001F44D\U0001F3FD tail";
        var metaDescription = new string('b', 156) + "\U0001F600 and more words after the cut";
        var (accountId, job) = await ServeAndSyncAsync("/cuts.xml", new FakeDocument(
            $"""
            <rss version="2.0"><channel><title>Cuts</title>
              <item><title>{longTitle}</title><guid>https://cuts.example.com/title</guid></item>
              <item><title>{metaTitle}</title><guid>https://cuts.example.com/meta-title</guid></item>
              <item><title>meta</title><description>{metaDescription}</description><guid>https://cuts.example.com/meta</guid></item>
              <item><title>nul &amp;#0; inside</title><description>a&amp;#0;b</description><guid>https://cuts.example.com/nul</guid></item>
              <item><title>plain</title><guid>https://cuts.example.com/plain</guid></item>
            </channel></rss>
            """, "application/rss+xml"), maxAttempts: 1);

        Assert.Equal(5, job.Result!.Value.GetProperty("inserted").GetInt32());
        Assert.Equal(new string('a', 499), (await ItemAsync(accountId, "https://cuts.example.com/title", "title"))["title"]);
        Assert.Equal(new string('c', 69), (await ItemAsync(accountId, "https://cuts.example.com/meta-title", "meta_title"))["meta_title"]);
        Assert.Equal(new string('b', 156) + "\U0001F600…", (await ItemAsync(accountId, "https://cuts.example.com/meta", "meta_description"))["meta_description"]);
        var nul = await ItemAsync(accountId, "https://cuts.example.com/nul", "title", "description");
        Assert.Equal("nul inside", nul["title"]);
        Assert.Equal("ab", nul["description"]);
    }

    [Fact]
    public async Task Rss_1_0_and_0_90_rss_2_0_in_the_userland_namespace_and_atom_0_3_are_read()
    {
        var (rdf, _) = await ServeAndSyncAsync("/formats/rss10.rdf", new FakeDocument(
            """
            <?xml version="1.0"?>
            <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">
              <channel rdf:about="https://rdf.example.com/"><title>RDF site</title><link>https://rdf.example.com/</link><description>d</description>
                <items><rdf:Seq><rdf:li rdf:resource="https://rdf.example.com/one"/></rdf:Seq></items></channel>
              <item rdf:about="https://rdf.example.com/one"><title>One</title><link>https://rdf.example.com/one</link>
                <description>First &lt;b&gt;entry&lt;/b&gt;</description><dc:date>2024-03-01T10:00:00+01:00</dc:date><dc:subject>RDF</dc:subject></item>
            </rdf:RDF>
            """, "application/rdf+xml"));
        var one = await ItemAsync(rdf, "https://rdf.example.com/one", "title", "description", "url", "published_at");
        Assert.Equal(("One", "First entry", "https://rdf.example.com/one"), ((string)one["title"]!, (string)one["description"]!, (string)one["url"]!));
        Assert.Equal(new DateTime(2024, 3, 1, 9, 0, 0, DateTimeKind.Utc), one["published_at"]);
        Assert.Equal(1, await db.CountAsync(
            "SELECT count(*) FROM content_tag t JOIN content_item c ON c.id = t.content_id WHERE c.platform_account_id = @id AND t.tag = 'rdf'", ("id", rdf)));

        var (rss090, _) = await ServeAndSyncAsync("/formats/rss090.rdf", new FakeDocument(
            """
            <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://my.netscape.com/rdf/simple/0.9/">
              <channel><title>Mozilla Dot Org</title><link>http://www.mozilla.org</link><description>d</description></channel>
              <item><title>New Status Updates</title><link>http://www.mozilla.org/status/</link></item>
            </rdf:RDF>
            """, "application/xml"));
        Assert.Equal("New Status Updates", (await ItemAsync(rss090, "http://www.mozilla.org/status/", "title"))["title"]);
        Assert.Equal("Mozilla Dot Org", await db.ScalarAsync<string>($"SELECT title FROM platform_account WHERE id = '{rss090}'"));

        var (userland, _) = await ServeAndSyncAsync("/formats/userland.xml", new FakeDocument(
            """
            <rss version="2.0" xmlns="http://backend.userland.com/rss2"><channel><title>Scripting News</title><link>http://scripting.com/</link>
              <item><title>Userland</title><guid>http://scripting.com/2004/01/01.html#a1</guid><pubDate>Thu, 01 Jan 2004 08:00:00 GMT</pubDate></item>
            </channel></rss>
            """, "application/rss+xml"));
        var permalink = await ItemAsync(userland, "http://scripting.com/2004/01/01.html#a1", "title", "url", "published_at");
        Assert.Equal("Userland", permalink["title"]);
        Assert.Equal("http://scripting.com/2004/01/01.html#a1", permalink["url"]);
        Assert.Equal(new DateTime(2004, 1, 1, 8, 0, 0, DateTimeKind.Utc), permalink["published_at"]);

        var html = Convert.ToBase64String(Encoding.UTF8.GetBytes("<p>Decoded <b>body</b> ünïcode</p>"));
        var (atom03, _) = await ServeAndSyncAsync("/formats/atom03.xml", new FakeDocument(
            $"""
            <feed version="0.3" xmlns="http://purl.org/atom/ns#"><title>Old Atom</title>
              <link rel="alternate" type="text/html" href="https://a03.example.com/"/>
              <entry><title>Zero three</title><link rel="alternate" type="text/html" href="https://a03.example.com/1"/>
                <id>tag:a03.example.com,2004:1</id><issued>2004-01-01T10:00:00+01:00</issued><modified>2004-01-02T10:00:00Z</modified>
                <content type="text/html" mode="base64">{html}</content></entry>
            </feed>
            """, "application/atom+xml"));
        var zero3 = await ItemAsync(atom03, "tag:a03.example.com,2004:1", "title", "description", "url", "published_at");
        Assert.Equal(("Zero three", "Decoded body ünïcode", "https://a03.example.com/1"), ((string)zero3["title"]!, (string)zero3["description"]!, (string)zero3["url"]!));
        Assert.Equal(new DateTime(2004, 1, 1, 9, 0, 0, DateTimeKind.Utc), zero3["published_at"]);
    }

    [Fact]
    public async Task Dublin_core_itunes_and_media_fallbacks_are_read_and_an_unidentifiable_entry_is_reported_as_dropped()
    {
        var (accountId, job) = await ServeAndSyncAsync("/fallbacks.xml", new FakeDocument(
            """
            <rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/"
                 xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd" xmlns:media="http://search.yahoo.com/mrss/">
              <channel><title>Fallbacks</title>
                <item><dc:title>DC title</dc:title><dc:description>DC description</dc:description>
                  <dcterms:issued>2024-02-01T00:00:00Z</dcterms:issued><guid isPermaLink="true">https://fb.example.com/a</guid></item>
                <item><media:title>Media title</media:title><itunes:summary>Episode summary</itunes:summary>
                  <dcterms:modified>2024-02-02T00:00:00Z</dcterms:modified><guid>https://fb.example.com/b</guid></item>
                <item><title>Nothing identifies me</title><description>no guid, no link</description></item>
                <item><title>dcterms:created</title><link>https://fb.example.com/c</link><dcterms:created>2024-02-03T00:00:00Z</dcterms:created>
                  <guid isPermaLink="false">c-1</guid></item>
              </channel>
            </rss>
            """, "application/rss+xml"));

        var result = job.Result!.Value;
        Assert.Equal(3, result.GetProperty("items").GetInt32());
        Assert.Equal(1, result.GetProperty("dropped").GetInt32());
        var dropped = result.GetProperty("dropped_entries").EnumerateArray().Single();
        Assert.Equal(3, dropped.GetProperty("position").GetInt32());
        Assert.Contains("Nothing identifies me", dropped.GetProperty("title").GetString());
        Assert.Contains("guid", dropped.GetProperty("reason").GetString());

        var a = await ItemAsync(accountId, "https://fb.example.com/a", "title", "description", "url", "published_at");
        Assert.Equal(("DC title", "DC description", "https://fb.example.com/a"), ((string)a["title"]!, (string)a["description"]!, (string)a["url"]!));
        Assert.Equal(new DateTime(2024, 2, 1, 0, 0, 0, DateTimeKind.Utc), a["published_at"]);
        var b = await ItemAsync(accountId, "https://fb.example.com/b", "title", "description", "url", "published_at");
        Assert.Equal(("Media title", "Episode summary", "https://fb.example.com/b"), ((string)b["title"]!, (string)b["description"]!, (string)b["url"]!));
        Assert.Equal(new DateTime(2024, 2, 2, 0, 0, 0, DateTimeKind.Utc), b["published_at"]);
        var c = await ItemAsync(accountId, server.Url("/fallbacks.xml") + "#c-1", "url", "published_at");
        Assert.Equal("https://fb.example.com/c", c["url"]);
        Assert.Equal(new DateTime(2024, 2, 3, 0, 0, 0, DateTimeKind.Utc), c["published_at"]);
    }
}
