using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Platform.Core.Billing;

namespace Platform.Api.Tests.Limits;

/// <summary>
/// Connects and disconnects per user per UTC day are bounded by the plan (<see cref="TierEntitlement.MaxPlatformChangesPerDay"/>):
/// a connect-disconnect loop gets 429 problem details with <c>Retry-After</c>, counted in PostgreSQL.
/// </summary>
public class PlatformChangeLimitsTests(ApiHost api) : IClassFixture<ApiHost>
{
    private static readonly int Limit = TierEntitlements.For(TierEntitlements.Free).MaxPlatformChangesPerDay;

    private static async Task<(HttpStatusCode Status, JsonElement Body, HttpResponseMessage Response)> SendAsync(Task<HttpResponseMessage> call)
    {
        var response = await call;
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone(), response);
    }

    [Fact]
    public async Task A_connect_disconnect_loop_is_answered_429_with_retry_after_once_the_days_changes_are_used()
    {
        var user = Guid.NewGuid();
        using var client = api.CreateClient(user);
        var feed = new { platform = "feed", url = "https://loop.example.com/feed.xml" };

        // A refused change costs nothing: connecting the same feed twice is 409 and not counted.
        var first = await SendAsync(client.PostAsJsonAsync("/api/me/platforms", feed));
        Assert.Equal(HttpStatusCode.Created, first.Status);
        Assert.Equal(HttpStatusCode.Conflict, (await SendAsync(client.PostAsJsonAsync("/api/me/platforms", feed))).Status);
        var id = first.Body.GetProperty("id").GetGuid();
        var changes = 1;
        while (changes < Limit)
        {
            Assert.Equal(HttpStatusCode.NoContent, (await SendAsync(client.DeleteAsync($"/api/me/platforms/{id}"))).Status);
            changes++;
            if (changes == Limit)
            {
                break;
            }

            var again = await SendAsync(client.PostAsJsonAsync("/api/me/platforms", feed));
            Assert.Equal(HttpStatusCode.Created, again.Status);
            id = again.Body.GetProperty("id").GetGuid();
            changes++;
        }

        // The day's changes are used: both connecting and disconnecting are refused until midnight UTC.
        var (status, problem, response) = await SendAsync(client.PostAsJsonAsync("/api/me/platforms", new { platform = "feed", url = "https://other.example.com/rss" }));
        using (response)
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, status);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            Assert.Equal(429, problem.GetProperty("status").GetInt32());
            Assert.Contains($"{Limit} connects and disconnects per day", problem.GetProperty("detail").GetString());
            var retryAfter = int.Parse(response.Headers.GetValues("Retry-After").Single(), CultureInfo.InvariantCulture);
            var untilMidnight = (DateTimeOffset.UtcNow.Date.AddDays(1) - DateTimeOffset.UtcNow.UtcDateTime).TotalSeconds;
            Assert.InRange(retryAfter, 1, untilMidnight + 5);
            Assert.True(retryAfter >= untilMidnight - 60, $"Retry-After {retryAfter} s, midnight UTC in {untilMidnight} s");
        }

        Assert.Equal(0L, await api.ScalarAsync<long>($"SELECT count(*) FROM platform_account WHERE user_id = '{user}' AND external_id LIKE 'https://other.%'"));

        // Counted in PostgreSQL (every replica and restart sees it), not in the process.
        Assert.Equal(Limit, await api.ScalarAsync<int>(
            $"SELECT used FROM daily_allowance_usage WHERE counter = 'platform_changes' AND scope_id = '{user}' AND day = (now() AT TIME ZONE 'UTC')::date"));

        // Another user is not affected.
        using var other = api.CreateClient(Guid.NewGuid());
        Assert.Equal(HttpStatusCode.Created, (await SendAsync(other.PostAsJsonAsync("/api/me/platforms", feed))).Status);
    }

    [Fact]
    public async Task Disconnecting_past_the_days_changes_is_refused_and_the_account_stays()
    {
        var user = Guid.NewGuid();
        using var client = api.CreateClient(user);
        var created = await SendAsync(client.PostAsJsonAsync("/api/me/platforms", new { platform = "feed", url = "https://stay.example.com/feed.xml" }));
        Assert.Equal(HttpStatusCode.Created, created.Status);
        await api.ScalarAsync<int>(
            $"UPDATE daily_allowance_usage SET used = {Limit} WHERE counter = 'platform_changes' AND scope_id = '{user}' RETURNING used");

        var (status, _, response) = await SendAsync(client.DeleteAsync($"/api/me/platforms/{created.Body.GetProperty("id").GetGuid()}"));
        using (response)
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, status);
            Assert.True(response.Headers.RetryAfter is not null);
        }

        Assert.Equal(1L, await api.ScalarAsync<long>($"SELECT count(*) FROM platform_account WHERE user_id = '{user}'"));
    }
}
