using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace Platform.Api.Tests.Account;

/// <summary><c>GET /api/me</c> and <c>PATCH /api/me/profile</c> over real HTTP, with the public pages they feed.</summary>
public class ProfileApiTests(ApiHost api) : IClassFixture<ApiHost>
{
    private static async Task<JsonElement> JsonAsync(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        return body.Length == 0 ? default : JsonDocument.Parse(body).RootElement.Clone();
    }

    private static async Task<(HttpStatusCode Status, JsonElement Body)> PatchAsync(HttpClient client, string json)
    {
        using var response = await client.PatchAsync("/api/me/profile", new StringContent(json, Encoding.UTF8, "application/json"));
        return (response.StatusCode, await JsonAsync(response));
    }

    private static string Unique(string prefix) => $"{prefix}{Guid.NewGuid():N}"[..20];

    private static HttpClient NoRedirects(ApiHost api) =>
        new(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = api.BaseAddress };

    [Fact]
    public async Task A_new_user_is_private_on_the_free_plan_and_me_counts_connected_accounts()
    {
        using var client = api.CreateClient(Guid.NewGuid());
        using var connect = await client.PostAsJsonAsync("/api/me/platforms", new { platform = "feed", url = $"https://example.com/{Guid.NewGuid():N}.xml" });

        using var response = await client.GetAsync("/api/me");
        var me = await JsonAsync(response);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
        var profile = me.GetProperty("profile");
        Assert.Equal(JsonValueKind.Null, profile.GetProperty("username").ValueKind);
        Assert.False(profile.GetProperty("is_public").GetBoolean());
        Assert.Equal(JsonValueKind.Null, profile.GetProperty("public_url").ValueKind);
        Assert.Equal("free", me.GetProperty("plan").GetProperty("tier").GetString());
        Assert.Equal("free", me.GetProperty("plan").GetProperty("effective_tier").GetString());
        Assert.Equal(1, me.GetProperty("connected_accounts").GetProperty("total").GetInt64());
        Assert.Equal(1, me.GetProperty("connected_accounts").GetProperty("feed").GetInt64());
        Assert.Equal(0, me.GetProperty("connected_accounts").GetProperty("youtube").GetInt64());
    }

    [Fact]
    public async Task Setting_the_whole_profile_and_going_public_shows_it_on_the_public_site_at_once()
    {
        var username = Unique("Maker_");
        using var client = api.CreateClient(Guid.NewGuid());
        using var anonymous = api.CreateClient();
        using var before = await anonymous.GetAsync($"/api/public/creators/{username}"); // a cached 404 the change must drop

        var (status, me) = await PatchAsync(client, $$"""
            {"username":"{{username}}","display_name":"  Ada Maker ","bio":"Bread\nand code","avatar_url":"https://cdn.example.com/a.png",
             "website_url":"http://ada.example.com","social_links":{"youtube":"https://youtube.com/@ada","x":"https://x.com/ada"},"is_public":true}
            """);
        using var profileApi = await anonymous.GetAsync($"/api/public/creators/{username.ToUpperInvariant()}");
        var publicProfile = await JsonAsync(profileApi);
        using var page = await anonymous.GetAsync($"/@{username}");

        Assert.Equal(HttpStatusCode.NotFound, before.StatusCode);
        Assert.True(status == HttpStatusCode.OK, me.ToString());
        var profile = me.GetProperty("profile");
        Assert.Equal(username, profile.GetProperty("username").GetString());
        Assert.Equal("Ada Maker", profile.GetProperty("display_name").GetString());
        Assert.Equal("https://youtube.com/@ada", profile.GetProperty("social_links").GetProperty("youtube").GetString());
        Assert.Equal($"/@{username}", profile.GetProperty("public_url").GetString());
        Assert.Equal(HttpStatusCode.OK, profileApi.StatusCode);
        Assert.Equal("Ada Maker", publicProfile.GetProperty("creator").GetProperty("display_name").GetString());
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("Ada Maker", await page.Content.ReadAsStringAsync());

        // Lists (here the sitemap shard) follow within one debounced list flush (Discovery:ListFlushSeconds, default 5).
        var deadline = DateTime.UtcNow.AddSeconds(6);
        string sitemap;
        while (!(sitemap = await anonymous.GetStringAsync("/sitemaps/creators-1.xml")).Contains($"/@{username}", StringComparison.Ordinal)
               && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }

        Assert.Contains($"/@{username}", sitemap);
    }

    [Fact]
    public async Task Every_bad_field_is_named_in_one_400_and_nothing_is_applied()
    {
        using var client = api.CreateClient(Guid.NewGuid());

        var (status, problem) = await PatchAsync(client, """
            {"username":"-bad name","display_name":"Fine","avatar_url":"ftp://cdn.example.com/a.png","website_url":"javascript:alert(1)",
             "social_links":{"youtube":"not a url"},"is_public":"yes","bio":7,"email":"x@example.com"}
            """);
        using var meResponse = await client.GetAsync("/api/me");
        var me = await JsonAsync(meResponse);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        var named = problem.GetProperty("errors").EnumerateArray().Select(e => e.GetProperty("name").GetString()).ToHashSet();
        Assert.Superset(new HashSet<string?> { "username", "avatar_url", "website_url", "social_links", "is_public", "bio", "email" }, named);
        Assert.DoesNotContain("display_name", named);
        Assert.Equal(JsonValueKind.Null, me.GetProperty("profile").GetProperty("display_name").ValueKind);
    }

    [Theory]
    [InlineData("admin")]
    [InlineData("API")]
    [InlineData("c")]
    [InlineData("search")]
    [InlineData("category")]
    [InlineData("tag")]
    [InlineData("Sitemaps")]
    public async Task Reserved_words_are_refused_as_usernames(string username)
    {
        using var client = api.CreateClient(Guid.NewGuid());

        var (status, problem) = await PatchAsync(client, $$"""{"username":"{{username}}"}""");

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains(problem.GetProperty("errors").EnumerateArray(), e => e.GetProperty("name").GetString() == "username");
    }

    [Theory]
    [InlineData("[]")]
    [InlineData("\"text\"")]
    [InlineData("{\"username\":")]
    [InlineData("{\"social_links\":[\"https://x.com\"]}")]
    [InlineData("{\"social_links\":{\"Bad Key\":\"https://x.com\"}}")]
    [InlineData("{\"display_name\":\"\\u0000\\ud800\"}")]
    [InlineData("{\"username\":\"\u212Aelvin\"}")]
    [InlineData("{\"username\":\"ab\u0000c\"}")]
    [InlineData("")]
    [InlineData("null")]
    public async Task Malformed_bodies_answer_400_never_500(string body)
    {
        using var client = api.CreateClient(Guid.NewGuid());

        var (status, _) = await PatchAsync(client, body);

        Assert.True(status is HttpStatusCode.BadRequest or HttpStatusCode.OK, $"{status}");
    }

    [Fact]
    public async Task A_username_taken_case_insensitively_answers_409_and_nothing_is_applied()
    {
        var username = Unique("taken_");
        using var first = api.CreateClient(Guid.NewGuid());
        using var second = api.CreateClient(Guid.NewGuid());
        Assert.Equal(HttpStatusCode.OK, (await PatchAsync(first, $$"""{"username":"{{username}}"}""")).Status);

        var (status, problem) = await PatchAsync(second, $$"""{"username":"{{username.ToUpperInvariant()}}","display_name":"Copycat"}""");
        using var meResponse = await second.GetAsync("/api/me");
        var me = await JsonAsync(meResponse);

        Assert.Equal(HttpStatusCode.Conflict, status);
        Assert.Contains("taken", problem.GetProperty("detail").GetString());
        Assert.Equal(JsonValueKind.Null, me.GetProperty("profile").GetProperty("display_name").ValueKind);
    }

    [Fact]
    public async Task A_public_profile_needs_a_username()
    {
        using var client = api.CreateClient(Guid.NewGuid());

        var (goPublic, goPublicProblem) = await PatchAsync(client, """{"is_public":true}""");
        Assert.Equal(HttpStatusCode.OK, (await PatchAsync(client, $$"""{"username":"{{Unique("pub_")}}","is_public":true}""")).Status);
        var (clear, clearProblem) = await PatchAsync(client, """{"username":null}""");

        Assert.Equal(HttpStatusCode.BadRequest, goPublic);
        Assert.Contains(goPublicProblem.GetProperty("errors").EnumerateArray(), e => e.GetProperty("name").GetString() == "is_public");
        Assert.Equal(HttpStatusCode.BadRequest, clear);
        Assert.Contains(clearProblem.GetProperty("errors").EnumerateArray(), e => e.GetProperty("name").GetString() == "username");
    }

    [Fact]
    public async Task A_renamed_profiles_old_username_answers_301_to_the_new_one_and_stays_reserved_for_its_owner()
    {
        var oldName = Unique("old_");
        var newName = Unique("new_");
        using var owner = api.CreateClient(Guid.NewGuid());
        using var other = api.CreateClient(Guid.NewGuid());
        using var anonymous = NoRedirects(api);
        Assert.Equal(HttpStatusCode.OK, (await PatchAsync(owner, $$"""{"username":"{{oldName}}","is_public":true}""")).Status);
        using var beforeRename = await anonymous.GetAsync($"/@{oldName}");
        Assert.Equal(HttpStatusCode.OK, beforeRename.StatusCode);

        Assert.Equal(HttpStatusCode.OK, (await PatchAsync(owner, $$"""{"username":"{{newName}}"}""")).Status);
        using var page = await anonymous.GetAsync($"/@{oldName.ToUpperInvariant()}");
        using var profileApi = await anonymous.GetAsync($"/api/public/creators/{oldName}");
        var (taken, _) = await PatchAsync(other, $$"""{"username":"{{oldName}}"}""");

        Assert.Equal(HttpStatusCode.MovedPermanently, page.StatusCode);
        Assert.Equal($"/@{newName}", page.Headers.Location?.ToString());
        Assert.Equal(HttpStatusCode.MovedPermanently, profileApi.StatusCode);
        Assert.Equal($"/api/public/creators/{newName}", profileApi.Headers.Location?.ToString());
        Assert.Equal(HttpStatusCode.Conflict, taken);

        // The owner may take it back; then it is a profile again, and the newer name redirects instead.
        Assert.Equal(HttpStatusCode.OK, (await PatchAsync(owner, $$"""{"username":"{{oldName}}"}""")).Status);
        using var back = await anonymous.GetAsync($"/@{oldName}");
        using var newer = await anonymous.GetAsync($"/@{newName}");
        Assert.Equal(HttpStatusCode.OK, back.StatusCode);
        Assert.Equal(HttpStatusCode.MovedPermanently, newer.StatusCode);
    }

    [Fact]
    public async Task A_private_profiles_old_username_does_not_reveal_the_new_one()
    {
        var oldName = Unique("quiet_");
        using var owner = api.CreateClient(Guid.NewGuid());
        using var anonymous = NoRedirects(api);
        Assert.Equal(HttpStatusCode.OK, (await PatchAsync(owner, $$"""{"username":"{{oldName}}","is_public":true}""")).Status);

        Assert.Equal(HttpStatusCode.OK, (await PatchAsync(owner, $$"""{"username":"{{Unique("hidden_")}}","is_public":false}""")).Status);
        using var page = await anonymous.GetAsync($"/@{oldName}");

        Assert.Equal(HttpStatusCode.NotFound, page.StatusCode);
    }
}
