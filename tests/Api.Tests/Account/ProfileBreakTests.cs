using System.Net;
using System.Text;
using System.Text.Json;

namespace Platform.Api.Tests.Account;

/// <summary>Odd input a reviewer threw at <c>/api/me</c>: every answer is 2xx or a problem naming the field, never a 500.</summary>
public class ProfileBreakTests(ApiHost api) : IClassFixture<ApiHost>
{
    private static readonly long MaxRequestBodyBytes = new Platform.Api.Http.RequestBodyOptions().MaxRequestBodyBytes;

    private static string Unique(string prefix) => $"{prefix}{Guid.NewGuid():N}"[..20];

    public static TheoryData<string, string?> BadFields() => new()
    {
        { """{"avatar_url":"javascript:alert(1)"}""", "avatar_url" },
        { """{"website_url":"ftp://example.com/"}""", "website_url" },
        { """{"avatar_url":"https://user:pw@example.com/a.png"}""", "avatar_url" },
        { """{"avatar_url":"//example.com/a.png"}""", "avatar_url" },
        { "{\"website_url\":\"https://example.com/" + new string('a', 3000) + "\"}", "website_url" },
        { """{"website_url":"https://exa mple.com/"}""", "website_url" },
        { """{"username":"a"}""", "username" },
        { """{"username":".dot"}""", "username" },
        { """{"username":"ünïcode"}""", "username" },
        { "{\"username\":\"" + new string('a', 40) + "\"}", "username" },
        { "{\"username\":\"" + new string('a', 100_000) + "\"}", "username" },
        { """{"username":123}""", "username" },
        { """{"username":["a"]}""", "username" },
        { """{"is_public":"true"}""", "is_public" },
        { """{"is_public":1}""", "is_public" },
        { """{"display_name":{"a":1}}""", "display_name" },
        { "{\"bio\":\"" + new string('b', 5001) + "\"}", "bio" },
        { """{"social_links":{"x":"javascript:alert(1)"}}""", "social_links" },
        { """{"social_links":{"x":1}}""", "social_links" },
        { """{"social_links":"https://x.com/a"}""", "social_links" },
        { """{"social_links":{"\ud800":"https://x.com/a"}}""", "social_links" },
        { "{\"social_links\":{" + string.Join(",", Enumerable.Range(0, 5000).Select(i => $"\"k{i}\":\"https://x.com/{i}\"")) + "}}", "social_links" },
        { """{"email":"a@example.com"}""", "email" },
        { """{"username":"MeSsage","Username":"x"}""", null },
    };

    [Theory]
    [MemberData(nameof(BadFields))]
    public async Task A_bad_field_answers_a_400_problem_naming_it_and_changes_nothing(string json, string? field)
    {
        using var client = api.CreateClient(Guid.NewGuid());
        using var before = await client.GetAsync("/api/me");
        var profileBefore = JsonDocument.Parse(await before.Content.ReadAsStringAsync()).RootElement.GetProperty("profile").GetRawText();

        using var response = await client.PatchAsync("/api/me/profile", new StringContent(json, Encoding.UTF8, "application/json"));
        var body = await response.Content.ReadAsStringAsync();

        Assert.True(response.StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.OK or HttpStatusCode.RequestEntityTooLarge, $"{(int)response.StatusCode}: {body}");
        if (json.Length > MaxRequestBodyBytes)
        {
            // Over Http:MaxRequestBodyBytes the body is refused before it is read: 413 problem, nothing applied.
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }

        if (response.StatusCode == HttpStatusCode.RequestEntityTooLarge)
        {
            using var unchanged = await client.GetAsync("/api/me");
            Assert.Equal(profileBefore, JsonDocument.Parse(await unchanged.Content.ReadAsStringAsync()).RootElement.GetProperty("profile").GetRawText());
        }
        else if (field is not null)
        {
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            Assert.True(body.Contains($"\"{field}", StringComparison.OrdinalIgnoreCase), body); // the field, or a path in it (social_links.<key>)
            using var after = await client.GetAsync("/api/me");
            Assert.Equal(profileBefore, JsonDocument.Parse(await after.Content.ReadAsStringAsync()).RootElement.GetProperty("profile").GetRawText());
        }
    }

    [Fact]
    public async Task Concurrent_patches_taking_one_username_give_it_to_one_user_and_409_to_the_others()
    {
        var username = Unique("race_");
        var clients = Enumerable.Range(0, 8).Select(_ => api.CreateClient(Guid.NewGuid())).ToList();
        var json = $$"""{"username":"{{username}}","is_public":true}""";

        var statuses = await Task.WhenAll(clients.Select(async (c, i) =>
        {
            using var response = await c.PatchAsync("/api/me/profile",
                new StringContent(i % 2 == 0 ? json : json.Replace(username, username.ToUpperInvariant()), Encoding.UTF8, "application/json"));
            return response.StatusCode;
        }));

        Assert.Equal(1, statuses.Count(s => s == HttpStatusCode.OK));
        Assert.All(statuses.Where(s => s != HttpStatusCode.OK), s => Assert.Equal(HttpStatusCode.Conflict, s));
        foreach (var c in clients)
        {
            c.Dispose();
        }
    }

    [Theory]
    [InlineData("?cancel=")]
    [InlineData("?cancel=NOW")]
    [InlineData("?cancel=now&cancel=period_end")]
    [InlineData("?cancel=%00")]
    [InlineData("?cancel=later")]
    public async Task A_bad_cancel_mode_answers_a_400_problem_naming_cancel_and_deletes_nothing(string query)
    {
        using var client = api.CreateClient(Guid.NewGuid());

        using var response = await client.DeleteAsync("/api/me" + query);
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("cancel", body, StringComparison.OrdinalIgnoreCase);
        using var me = await client.GetAsync("/api/me");
        Assert.Equal(HttpStatusCode.OK, me.StatusCode);
    }

    [Fact]
    public async Task Concurrent_deletions_of_one_account_all_answer_204_and_audit_once()
    {
        var userId = Guid.NewGuid();
        using var client = api.CreateClient(userId);
        using (var me = await client.GetAsync("/api/me"))
        {
            Assert.Equal(HttpStatusCode.OK, me.StatusCode);
        }

        var statuses = await Task.WhenAll(Enumerable.Range(0, 4).Select(async _ =>
        {
            using var response = await client.DeleteAsync("/api/me");
            return response.StatusCode;
        }));

        Assert.All(statuses, s => Assert.Equal(HttpStatusCode.NoContent, s));
        Assert.Equal(1L, await api.ScalarAsync<long>(
            $"SELECT count(*) FROM audit.mt_events WHERE stream_id = '{Platform.Core.Audit.AuditStreams.Account(userId)}'"));
    }
}
