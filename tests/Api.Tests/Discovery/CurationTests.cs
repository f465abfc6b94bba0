using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Platform.Api.Tests.Discovery;

public sealed class CurationFixture : DiscoveryHost
{
    public (Guid Id, string Slug) Item { get; private set; }

    protected override async Task SeedAsync(DiscoveryData data)
    {
        var anna = await data.CreatorAsync("anna");
        await data.CreatorAsync("ben");
        await data.CreatorAsync("cleo");
        await data.CreatorAsync("dora");
        await data.CreatorAsync("private_pat", isPublic: false);
        Item = await data.ItemAsync(anna, "Original title", publishedAt: DateTimeOffset.UtcNow.AddDays(-1), category: "music");
    }
}

public sealed class CurationTests(CurationFixture api) : IClassFixture<CurationFixture>
{
    private static readonly string[] Mine = ["anna", "ben", "cleo"];

    /// <summary>The featured usernames in order, of this test's creators only (the replica test features another one).</summary>
    private static List<string> Usernames(JsonElement featured) =>
        featured.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("username").GetString()!).Where(Mine.Contains).ToList();

    [Fact]
    public async Task Admin_endpoints_need_the_admin_role()
    {
        using var anonymous = api.CreateClient();
        using var user = api.CreateClient("user");
        using var forged = api.CreateClient();
        forged.DefaultRequestHeaders.Authorization = new("Bearer", Tokens.Create("admin", signingKey: "another-key-of-at-least-32-bytes-long-for-hs256"));

        using (var response = await anonymous.GetAsync("/api/admin/featured-creators"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        }

        using (var response = await forged.PostAsync($"/api/admin/content/{api.Item.Id}/unpublish", null))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        }

        using (var response = await user.PostAsJsonAsync("/api/admin/featured-creators", new { username = "anna" }))
        {
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        }
    }

    [Fact]
    public async Task Publish_and_unpublish_invalidate_cached_pages_at_once()
    {
        using var client = api.CreateClient();
        using var admin = api.CreateClient("admin");
        var detail = $"/api/public/content/{api.Item.Slug}";
        Assert.Equal("Original title", (await client.GetJsonAsync(detail)).GetProperty("title").GetString());
        Assert.Single((await client.GetJsonAsync("/api/public/content?category=music")).Slugs());

        // Served from the cache: a change behind the Api's back is not seen...
        await api.Data.ExecuteAsync("UPDATE content_item SET title = 'Changed title' WHERE id = @id", ("id", api.Item.Id));
        Assert.Equal("Original title", (await client.GetJsonAsync(detail)).GetProperty("title").GetString());

        // ...but a curation change invalidates every cached list and page that shows the item.
        using (var response = await admin.PostAsync($"/api/admin/content/{api.Item.Id}/unpublish", null))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        await client.GetJsonAsync(detail, HttpStatusCode.NotFound);
        Assert.Empty((await client.GetJsonAsync("/api/public/content?category=music")).Slugs());
        Assert.Equal(0, (await client.GetJsonAsync("/api/public/creators/anna")).GetProperty("creator").GetProperty("content_count").GetInt64());

        using (var response = await admin.PostAsync($"/api/admin/content/{api.Item.Id}/publish", null))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        Assert.Equal("Changed title", (await client.GetJsonAsync(detail)).GetProperty("title").GetString());
        Assert.Single((await client.GetJsonAsync("/api/public/content?category=music")).Slugs());

        using var unknown = await admin.PostAsync($"/api/admin/content/{Guid.NewGuid()}/publish", null);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
    }

    [Fact]
    public async Task Featured_creators_are_added_reordered_scheduled_and_removed()
    {
        using var client = api.CreateClient();
        using var admin = api.CreateClient("admin");
        Assert.Empty(Usernames(await client.GetJsonAsync("/api/public/creators/featured")));

        var ids = new Dictionary<string, Guid>();
        foreach (var name in new[] { "anna", "ben", "cleo" })
        {
            using var added = await admin.PostAsJsonAsync("/api/admin/featured-creators", new { username = name, note = "editor's pick" });
            Assert.Equal(HttpStatusCode.Created, added.StatusCode);
            ids[name] = JsonDocument.Parse(await added.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetGuid();
        }

        Assert.Equal(["anna", "ben", "cleo"], Usernames(await client.GetJsonAsync("/api/public/creators/featured")));

        using (var reorder = await admin.PutAsJsonAsync("/api/admin/featured-creators/order", new { ids = new[] { ids["cleo"], ids["anna"] } }))
        {
            Assert.Equal(HttpStatusCode.OK, reorder.StatusCode);
        }

        Assert.Equal(["cleo", "anna", "ben"], Usernames(await client.GetJsonAsync("/api/public/creators/featured")));

        using (var removed = await admin.DeleteAsync($"/api/admin/featured-creators/{ids["anna"]}"))
        {
            Assert.Equal(HttpStatusCode.NoContent, removed.StatusCode);
        }

        Assert.Equal(["cleo", "ben"], Usernames(await client.GetJsonAsync("/api/public/creators/featured")));

        // Scheduled: ends in the past -> hidden now; starts in 2 s -> appears by itself, no invalidation needed.
        using (var patch = await admin.PatchAsJsonAsync($"/api/admin/featured-creators/{ids["ben"]}",
                   new { featured_from = DateTimeOffset.UtcNow.AddHours(-2), featured_until = DateTimeOffset.UtcNow.AddSeconds(-1) }))
        {
            Assert.Equal(HttpStatusCode.OK, patch.StatusCode);
        }

        using (var scheduled = await admin.PostAsJsonAsync("/api/admin/featured-creators",
                   new { username = "anna", position = 1, featured_from = DateTimeOffset.UtcNow.AddSeconds(2) }))
        {
            Assert.Equal(HttpStatusCode.Created, scheduled.StatusCode);
        }

        Assert.Equal(["cleo"], Usernames(await client.GetJsonAsync("/api/public/creators/featured")));
        await Task.Delay(TimeSpan.FromSeconds(2.5));
        Assert.Equal(["anna", "cleo"], Usernames(await client.GetJsonAsync("/api/public/creators/featured")));

        // Bad input: unknown or private creator, inverted period, unknown ids.
        using (var privateOne = await admin.PostAsJsonAsync("/api/admin/featured-creators", new { username = "private_pat" }))
        {
            Assert.Equal(HttpStatusCode.NotFound, privateOne.StatusCode);
        }

        using (var inverted = await admin.PostAsJsonAsync("/api/admin/featured-creators",
                   new { username = "ben", featured_from = DateTimeOffset.UtcNow, featured_until = DateTimeOffset.UtcNow.AddDays(-1) }))
        {
            Assert.Equal(HttpStatusCode.BadRequest, inverted.StatusCode);
            Assert.Equal("application/problem+json", inverted.Content.Headers.ContentType?.MediaType);
        }

        using (var unknown = await admin.PutAsJsonAsync("/api/admin/featured-creators/order", new { ids = new[] { Guid.NewGuid() } }))
        {
            Assert.Equal(HttpStatusCode.BadRequest, unknown.StatusCode);
        }

        var all = await admin.GetJsonAsync("/api/admin/featured-creators");
        Assert.Equal(3, Usernames(all).Count);
        Assert.Contains(all.GetProperty("items").EnumerateArray(), i => i.GetProperty("username").GetString() == "ben" && !i.GetProperty("active").GetBoolean());
    }

    [Fact]
    public async Task Another_replica_drops_its_cached_copy_when_this_one_changes_something()
    {
        await using var replica = new WebApplicationFactory<ApiEntryPoint>().WithWebHostBuilder(web =>
        {
            web.UseEnvironment("Development");
            web.UseSetting(WebHostDefaults.ServerUrlsKey, "http://127.0.0.1:0");
            foreach (var (key, value) in api.Settings)
            {
                web.UseSetting(key, value);
            }
        });
        replica.UseKestrel(0);
        replica.StartServer();
        using var other = new HttpClient { BaseAddress = replica.ClientOptions.BaseAddress };
        using var admin = api.CreateClient("admin");
        var categories = await other.GetJsonAsync("/api/public/categories");
        Assert.Equal(15, categories.GetProperty("items").GetArrayLength());
        static List<string> All(JsonElement featured) =>
            featured.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("username").GetString()!).ToList();
        var before = All(await other.GetJsonAsync("/api/public/creators/featured"));
        Assert.DoesNotContain("dora", before);

        using (var added = await admin.PostAsJsonAsync("/api/admin/featured-creators", new { username = "dora", position = 1 }))
        {
            Assert.Equal(HttpStatusCode.Created, added.StatusCode);
        }

        // The replica hears the invalidation over Redis pub/sub, well before its 10 s local lifetime ends.
        var deadline = DateTime.UtcNow.AddSeconds(5);
        List<string> after;
        do
        {
            await Task.Delay(100);
            after = All(await other.GetJsonAsync("/api/public/creators/featured"));
        }
        while (after.SequenceEqual(before) && DateTime.UtcNow < deadline);

        Assert.Equal("dora", after[0]);
    }
}
