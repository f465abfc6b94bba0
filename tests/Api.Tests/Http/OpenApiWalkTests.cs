using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Platform.Api.Tests.Billing;

namespace Platform.Api.Tests.Http;

/// <summary>
/// Walks every operation of the Api's own OpenAPI document, as anonymous, a user and an admin: with
/// <c>Content-Type: application/json</c> and no body, and with U+0000 in every string field of the request
/// (path, query and body, as the schema describes them). No input may ever answer 500.
/// </summary>
public sealed class OpenApiWalkTests(OpenApiWalkTests.Host api) : IClassFixture<OpenApiWalkTests.Host>
{
    /// <summary>The Api with Stripe (faked at HTTP) configured, so billing endpoints run too, and no rate limit in the way.</summary>
    public sealed class Host : BillingApiHost
    {
        protected override void Configure(IDictionary<string, string?> settings)
        {
            base.Configure(settings);
            settings["Discovery:RateLimitPermits"] = "1000000";
            settings["Discovery:CacheKeyPrefix"] = $"test:{Guid.NewGuid():N}:";
            settings["YouTube:OAuth:ClientId"] = "walk-client"; // authorize answers its URL (503 only when unconfigured)
            settings["YouTube:OAuth:ClientSecret"] = "walk-secret";
        }
    }

    /// <summary>Path values the walk uses so that endpoints reach their database work (not an early 404).</summary>
    private sealed record Known(string Username, Guid ItemId, string Slug, Guid JobId, Guid FeaturedId);

    /// <summary>Plausible values of string fields by name, so that validation passes and the NUL reaches the next layer.</summary>
    private static readonly Dictionary<string, string> PlausibleStrings = new(StringComparer.OrdinalIgnoreCase)
    {
        ["type"] = "echo",
        ["platform"] = "rss",
        ["url"] = "https://feeds.example/feed.xml",
        ["channel"] = "@example",
        ["tier"] = "pro",
        ["price_id"] = Platform.TestSupport.Stripe.StripeFixtures.ProPrice,
        ["window"] = "24h",
        ["sort"] = "recent",
        ["q"] = "video",
        ["kind"] = "content",
    };

    [Fact]
    public async Task No_operation_answers_500_and_bodiless_requests_answer_as_without_a_content_type()
    {
        var userId = Guid.NewGuid();
        var adminId = Guid.NewGuid();
        using var anonymous = api.CreateClient();
        using var user = api.CreateClient(userId);
        using var admin = api.CreateClient(adminId, admin: true);
        var known = await SeedAsync(user, admin);
        using var documentResponse = await anonymous.GetAsync("/swagger/v1/swagger.json");
        var document = JsonNode.Parse(await documentResponse.Content.ReadAsStringAsync())!;
        var operations = Operations(document).ToList();
        Assert.True(operations.Count >= 30, $"only {operations.Count} operations in the document");

        var failures = new List<string>();
        var sent = 0;
        foreach (var (method, template, operation) in operations)
        {
            foreach (var (who, client) in new[] { ("anonymous", anonymous), ("user", user), ("admin", admin) })
            {
                // 1. Content-Type: application/json and no body: as without the header (GET, HEAD, DELETE), never 5xx.
                foreach (var sentMethod in method == "GET" ? new[] { "GET", "HEAD" } : [method])
                {
                    var (typed, typedBody) = await SendAsync(client, Build(document, known, sentMethod, template, operation, nulSlot: -1, jsonWithoutBody: true).Request);
                    sent++;
                    if ((int)typed >= 500)
                    {
                        failures.Add($"{sentMethod} {template} (Content-Type without a body, {who}): {(int)typed} {typedBody}");
                    }

                    if (sentMethod is "GET" or "HEAD" or "DELETE")
                    {
                        var (plain, _) = await SendAsync(client, Build(document, known, sentMethod, template, operation, nulSlot: -1, jsonWithoutBody: false).Request);
                        sent++;
                        if (plain != typed && sentMethod != "DELETE")
                        {
                            failures.Add($"{sentMethod} {template} ({who}): {(int)typed} with Content-Type and no body, {(int)plain} without");
                        }
                    }
                }

                // 2. U+0000 in one string field at a time (path, query, body; property names of free-form objects too).
                var slots = Build(document, known, method, template, operation, nulSlot: -1, jsonWithoutBody: false).Slots;
                for (var slot = 0; slot < slots; slot++)
                {
                    var (request, _) = Build(document, known, method, template, operation, slot, jsonWithoutBody: false);
                    var uri = request.RequestUri;
                    var (status, body) = await SendAsync(client, request);
                    sent++;
                    if ((int)status >= 500)
                    {
                        failures.Add($"{method} {uri} (U+0000 in string #{slot}, {who}): {(int)status} {body}");
                    }
                }
            }
        }

        Assert.True(failures.Count == 0, $"{failures.Count} of {sent} requests failed:\n{string.Join('\n', failures)}");
    }

    private async Task<Known> SeedAsync(HttpClient user, HttpClient admin)
    {
        var data = new Discovery.DiscoveryData(api.DataSource);
        var username = $"walker{Guid.NewGuid():N}"[..20];
        var creator = await data.CreatorAsync(username);
        var (itemId, slug) = await data.ItemAsync(creator, "A walk in the park");
        using var job = await user.PostAsync("/api/jobs", Json("""{"type":"echo","payload":{"note":"hi"}}"""));
        var jobId = JsonNode.Parse(await job.Content.ReadAsStringAsync())!["id"]!.GetValue<Guid>();
        using var featured = await admin.PostAsync("/api/admin/featured-creators", Json($$"""{"username":"{{username}}"}"""));
        var featuredText = await featured.Content.ReadAsStringAsync();
        Assert.True(featured.IsSuccessStatusCode, featuredText);
        var featuredId = JsonNode.Parse(featuredText)!["id"]!.GetValue<Guid>();
        return new Known(username, itemId, slug, jobId, featuredId);
    }

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    private static async Task<(HttpStatusCode Status, string Body)> SendAsync(HttpClient client, HttpRequestMessage request)
    {
        using (request)
        {
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
            if (response.Content.Headers.ContentType?.MediaType == "text/event-stream")
            {
                return (response.StatusCode, "(an event stream)"); // the job's live events: open until it finishes
            }

            var body = await response.Content.ReadAsStringAsync();
            return (response.StatusCode, body[..Math.Min(300, body.Length)]);
        }
    }

    private static IEnumerable<(string Method, string Template, JsonNode Operation)> Operations(JsonNode document)
    {
        foreach (var (template, item) in document["paths"]!.AsObject())
        {
            foreach (var (method, operation) in item!.AsObject())
            {
                if (method is "get" or "post" or "put" or "patch" or "delete")
                {
                    yield return (method.ToUpperInvariant(), template, operation!);
                }
            }
        }
    }

    /// <summary>
    /// The request for an operation; string "slots" (path, query, body strings and free-form keys) are counted in order
    /// and the one numbered <paramref name="nulSlot"/> carries U+0000. Returns the request and the number of slots.
    /// </summary>
    private static (HttpRequestMessage Request, int Slots) Build(
        JsonNode document, Known known, string method, string template, JsonNode operation, int nulSlot, bool jsonWithoutBody)
    {
        var slots = new Slots(nulSlot);
        var path = template;
        var query = new List<string>();
        foreach (var parameter in operation["parameters"]?.AsArray() ?? [])
        {
            var name = parameter!["name"]!.GetValue<string>();
            var schema = Resolve(document, parameter["schema"]);
            switch (parameter["in"]?.GetValue<string>())
            {
                case "path":
                    var value = name switch
                    {
                        "username" => known.Username,
                        "slug" => known.Slug,
                        "id" when template.StartsWith("/api/jobs", StringComparison.Ordinal) => known.JobId.ToString(),
                        "id" when template.Contains("/content/", StringComparison.Ordinal) => known.ItemId.ToString(),
                        "id" when template.Contains("featured-creators", StringComparison.Ordinal) => known.FeaturedId.ToString(),
                        _ => Sample(document, schema, name, slots, 0)?.ToString() ?? "x",
                    };
                    path = path.Replace("{" + name + "}", Uri.EscapeDataString(slots.Next(value)));
                    break;
                case "query":
                    var sample = Sample(document, schema, name, slots, 0);
                    var text = sample is JsonValue v && v.TryGetValue<string>(out var s) ? s : sample?.ToJsonString() ?? "x";
                    query.Add($"{Uri.EscapeDataString(name)}={Uri.EscapeDataString(text)}");
                    break;
            }
        }

        var request = new HttpRequestMessage(new HttpMethod(method), path + (query.Count > 0 ? "?" + string.Join('&', query) : string.Empty));
        if (jsonWithoutBody)
        {
            request.Content = new ByteArrayContent([]);
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        }
        else if (operation["requestBody"]?["content"]?["application/json"]?["schema"] is { } bodySchema)
        {
            request.Content = Json(Sample(document, bodySchema, null, slots, 0)!.ToJsonString());
        }
        else if (method is "POST" or "PUT" or "PATCH")
        {
            request.Content = Json(FreeForm(slots).ToJsonString());
        }

        return (request, slots.Count);
    }

    /// <summary>Counts string slots; the one numbered as asked gets U+0000 inside.</summary>
    private sealed class Slots(int nulSlot)
    {
        public int Count { get; private set; }

        public string Next(string plausible) => Count++ == nulSlot ? "a\u0000" + plausible : plausible;
    }

    private static JsonObject FreeForm(Slots slots) => new() { [slots.Next("note")] = slots.Next("x") };

    private static JsonNode? Resolve(JsonNode document, JsonNode? schema)
    {
        for (var depth = 0; depth < 10 && schema?["$ref"] is { } reference; depth++)
        {
            var node = document;
            foreach (var part in reference.GetValue<string>().TrimStart('#', '/').Split('/'))
            {
                node = node![part];
            }

            schema = node;
        }

        if (schema?["allOf"] is JsonArray { Count: 1 } allOf)
        {
            return Resolve(document, allOf[0]);
        }

        return schema;
    }

    /// <summary>A plausible value of <paramref name="schema"/>; each string takes a slot.</summary>
    private static JsonNode? Sample(JsonNode document, JsonNode? schema, string? name, Slots slots, int depth)
    {
        schema = Resolve(document, schema);
        if (schema is null || depth > 6)
        {
            return FreeForm(slots);
        }

        var type = schema["type"] switch
        {
            JsonValue value => value.GetValue<string>(),
            JsonArray types => types.Select(t => t!.GetValue<string>()).FirstOrDefault(t => t != "null"),
            _ => schema["properties"] is not null ? "object" : null,
        };
        switch (type)
        {
            case "integer" or "number":
                return 1;
            case "boolean":
                return false;
            case "array":
                return new JsonArray(Sample(document, schema["items"], null, slots, depth + 1));
            case "object" when schema["properties"] is JsonObject properties:
                var result = new JsonObject();
                foreach (var (property, propertySchema) in properties)
                {
                    result[property] = Sample(document, propertySchema, property, slots, depth + 1);
                }

                return result;
            case "string":
                var plausible = schema["format"]?.GetValue<string>() switch
                {
                    "uuid" => Guid.NewGuid().ToString(),
                    "date-time" => "2025-06-10T04:00:00Z",
                    _ when name is not null && PlausibleStrings.TryGetValue(name, out var known) => known,
                    _ when schema["enum"] is JsonArray { Count: > 0 } values => values[0]!.ToString(),
                    _ => "x",
                };
                return slots.Next(plausible);
            default:
                return FreeForm(slots); // free-form JSON (e.g. a job payload)
        }
    }
}
