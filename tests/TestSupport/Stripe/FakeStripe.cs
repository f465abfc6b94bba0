using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Platform.TestSupport.Stripe;

/// <summary>A request the fake received, as Stripe.net sent it.</summary>
public sealed record FakeStripeRequest(
    string Method, string Path, string Query, IReadOnlyDictionary<string, string> Form, string? IdempotencyKey, string? StripeVersion,
    string? Authorization);

/// <summary>
/// Stripe's API faked at the HTTP boundary: a Kestrel server on a loopback port that answers the endpoints the platform
/// calls (customers, subscriptions, checkout and portal sessions, events) with JSON shaped like Stripe's, so Stripe.net's
/// real client, serialization and error handling run. It keeps state (customers, subscriptions, events), honours
/// idempotency keys like Stripe (same key → same response), records every request, and can be told to fail.
/// </summary>
public sealed class FakeStripe : IAsyncDisposable
{
    private FakeHttpServer server = null!;
    private readonly ConcurrentDictionary<string, JsonObject> customers = new();
    private readonly ConcurrentDictionary<string, JsonObject> subscriptions = new();
    private readonly ConcurrentDictionary<string, JsonObject> sessions = new();
    private readonly ConcurrentDictionary<string, (int Status, string Body)> idempotent = new();
    private readonly List<JsonObject> events = [];
    private readonly ConcurrentQueue<FakeStripeRequest> requests = new();
    private int failuresLeft;
    private int sequence;

    private FakeStripe()
    {
    }

    public string BaseUrl { get; private set; } = string.Empty;

    public IReadOnlyCollection<FakeStripeRequest> Requests => requests.ToArray();

    /// <summary>Requests to GET /v1/subscriptions/{id} fail with 500 while this is positive (each failure counts down); -1 = always.</summary>
    public int SubscriptionReadFailures
    {
        get => Volatile.Read(ref failuresLeft);
        set => Volatile.Write(ref failuresLeft, value);
    }

    public static async Task<FakeStripe> StartAsync()
    {
        var fake = new FakeStripe();
        fake.server = await FakeHttpServer.StartAsync(fake.Map);
        fake.BaseUrl = fake.server.BaseUrl;
        return fake;
    }

    public string NextId(string prefix) => $"{prefix}_{Interlocked.Increment(ref sequence):D6}{Guid.NewGuid().ToString("N")[..10]}";

    /// <summary>Puts (or replaces) a subscription as Stripe's API will return it.</summary>
    public void SetSubscription(JsonObject subscription) => subscriptions[(string)subscription["id"]!] = (JsonObject)subscription.DeepClone();

    public JsonObject? GetSubscription(string id) => subscriptions.TryGetValue(id, out var s) ? s : null;

    /// <summary>Stripe no longer has the subscription: GET answers 404 resource_missing.</summary>
    public void RemoveSubscription(string id) => subscriptions.TryRemove(id, out _);

    public void SetCustomer(JsonObject customer) => customers[(string)customer["id"]!] = (JsonObject)customer.DeepClone();

    /// <summary>The customer was deleted: GET answers 404 resource_missing.</summary>
    public void RemoveCustomer(string id) => customers.TryRemove(id, out _);

    /// <summary>How many items a subscription object embeds; Stripe pages the rest (GET /v1/subscription_items).</summary>
    public const int EmbeddedItems = 10;

    public int CustomerCount => customers.Count;

    /// <summary>A Checkout Session's status (<c>open</c>, <c>expired</c>, <c>complete</c>), null when unknown.</summary>
    public string? SessionStatus(string id) => sessions.TryGetValue(id, out var session) ? (string?)session["status"] : null;

    /// <summary>An event Stripe "has" (listed by GET /v1/events), whether or not it was ever delivered.</summary>
    public void AddEvent(JsonObject stripeEvent)
    {
        lock (events)
        {
            events.Add((JsonObject)stripeEvent.DeepClone());
        }
    }

    public IEnumerable<FakeStripeRequest> RequestsTo(string method, string pathPrefix) =>
        Requests.Where(r => r.Method == method && r.Path.StartsWith(pathPrefix, StringComparison.Ordinal));

    private void Map(WebApplication web)
    {
        web.Use(async (context, next) =>
        {
            var form = new Dictionary<string, string>();
            if (context.Request.HasFormContentType)
            {
                foreach (var (key, value) in await context.Request.ReadFormAsync())
                {
                    form[key] = value.ToString();
                }
            }

            requests.Enqueue(new FakeStripeRequest(
                context.Request.Method, context.Request.Path.Value ?? string.Empty, context.Request.QueryString.Value ?? string.Empty, form,
                context.Request.Headers["Idempotency-Key"].FirstOrDefault(), context.Request.Headers["Stripe-Version"].FirstOrDefault(),
                context.Request.Headers.Authorization.FirstOrDefault()));
            context.Items["form"] = form;
            context.Response.Headers["Request-Id"] = NextId("req");
            await next(context);
        });

        web.MapPost("/v1/customers", (HttpContext context) => Idempotent(context, () =>
        {
            var form = Form(context);
            var customer = new JsonObject
            {
                ["id"] = NextId("cus"),
                ["object"] = "customer",
                ["created"] = Now(),
                ["email"] = form.GetValueOrDefault("email"),
                ["livemode"] = false,
                ["metadata"] = Metadata(form, "metadata"),
            };
            customers[(string)customer["id"]!] = customer;
            return Json(customer);
        }));

        web.MapGet("/v1/customers/{id}", (string id) =>
            customers.TryGetValue(id, out var customer) ? Json(customer) : Error(404, "invalid_request_error", "resource_missing", $"No such customer: '{id}'"));

        web.MapGet("/v1/subscriptions/{id}", (string id) =>
        {
            var left = SubscriptionReadFailures;
            if (left != 0)
            {
                if (left > 0)
                {
                    Interlocked.Decrement(ref failuresLeft);
                }

                return Error(500, "api_error", null, "An unknown error occurred (fake Stripe told to fail).");
            }

            return subscriptions.TryGetValue(id, out var subscription)
                ? Json(Embedded(subscription))
                : Error(404, "invalid_request_error", "resource_missing", $"No such subscription: '{id}'");
        });

        // Update (cancel_at_period_end only) and cancel now, as DELETE /api/me calls them.
        web.MapPost("/v1/subscriptions/{id}", (string id, HttpContext context) =>
        {
            if (!subscriptions.TryGetValue(id, out var subscription))
            {
                return Error(404, "invalid_request_error", "resource_missing", $"No such subscription: '{id}'");
            }

            if (Form(context).TryGetValue("cancel_at_period_end", out var atPeriodEnd))
            {
                subscription["cancel_at_period_end"] = atPeriodEnd == "true";
            }

            return Json(subscription);
        });

        web.MapDelete("/v1/subscriptions/{id}", (string id) =>
        {
            if (!subscriptions.TryGetValue(id, out var subscription))
            {
                return Error(404, "invalid_request_error", "resource_missing", $"No such subscription: '{id}'");
            }

            if ((string?)subscription["status"] == "canceled")
            {
                return Error(400, "invalid_request_error", null, $"Subscription {id} is already canceled.");
            }

            subscription["status"] = "canceled";
            subscription["canceled_at"] = Now();
            subscription["ended_at"] = Now();
            return Json(subscription);
        });

        // GET /v1/subscriptions?customer=...: the customer's subscriptions, canceled ones only with status=all (as Stripe).
        web.MapGet("/v1/subscriptions", (HttpContext context) =>
        {
            var customer = context.Request.Query["customer"].FirstOrDefault();
            var all = context.Request.Query["status"].FirstOrDefault() == "all";
            var data = new JsonArray();
            foreach (var subscription in subscriptions.Values.Where(s =>
                         (customer is null || (string?)s["customer"] == customer) && (all || (string?)s["status"] != "canceled")))
            {
                data.Add(Embedded(subscription));
            }

            return Json(new JsonObject { ["object"] = "list", ["data"] = data, ["has_more"] = false, ["url"] = "/v1/subscriptions" });
        });

        // GET /v1/subscription_items?subscription=...&limit=...&starting_after=...: all items, paged.
        web.MapGet("/v1/subscription_items", (HttpContext context) =>
        {
            var id = context.Request.Query["subscription"].FirstOrDefault() ?? string.Empty;
            if (!subscriptions.TryGetValue(id, out var subscription))
            {
                return Error(404, "invalid_request_error", "resource_missing", $"No such subscription: '{id}'");
            }

            var items = subscription["items"]!["data"]!.AsArray().Select(i => i!).ToList();
            var limit = int.TryParse(context.Request.Query["limit"], out var l) ? Math.Clamp(l, 1, 100) : 10;
            var start = context.Request.Query["starting_after"].FirstOrDefault() is { Length: > 0 } after
                ? items.FindIndex(i => (string?)i["id"] == after) + 1
                : 0;
            var page = new JsonArray();
            foreach (var item in items.Skip(start).Take(limit))
            {
                page.Add(item.DeepClone());
            }

            return Json(new JsonObject
            {
                ["object"] = "list",
                ["data"] = page,
                ["has_more"] = start + page.Count < items.Count,
                ["url"] = "/v1/subscription_items",
            });
        });

        web.MapPost("/v1/checkout/sessions", (HttpContext context) => Idempotent(context, () =>
        {
            var form = Form(context);
            if (MissingCustomer(form) is { } missing)
            {
                return missing;
            }

            var id = NextId("cs_test");
            return Json(sessions[id] = new JsonObject
            {
                ["id"] = id,
                ["object"] = "checkout.session",
                ["client_reference_id"] = form.GetValueOrDefault("client_reference_id"),
                ["created"] = Now(),
                ["customer"] = form.GetValueOrDefault("customer"),
                ["livemode"] = false,
                ["metadata"] = Metadata(form, "metadata"),
                ["mode"] = form.GetValueOrDefault("mode"),
                ["status"] = "open",
                ["payment_status"] = "unpaid",
                ["success_url"] = form.GetValueOrDefault("success_url"),
                ["cancel_url"] = form.GetValueOrDefault("cancel_url"),
                ["subscription"] = null,
                ["url"] = $"https://checkout.stripe.com/c/pay/{id}",
            });
        }));

        // GET /v1/checkout/sessions?customer=...&status=...: newest first, one page.
        web.MapGet("/v1/checkout/sessions", (HttpContext context) =>
        {
            var customer = context.Request.Query["customer"].FirstOrDefault();
            var status = context.Request.Query["status"].FirstOrDefault();
            var data = new JsonArray();
            foreach (var session in sessions.Values
                         .Where(s => (customer is null || (string?)s["customer"] == customer) && (status is null || (string?)s["status"] == status))
                         .OrderByDescending(s => (string)s["id"]!, StringComparer.Ordinal))
            {
                data.Add(session.DeepClone());
            }

            return Json(new JsonObject { ["object"] = "list", ["data"] = data, ["has_more"] = false, ["url"] = "/v1/checkout/sessions" });
        });

        // POST /v1/checkout/sessions/{id}/expire: only an open session can expire (as Stripe).
        web.MapPost("/v1/checkout/sessions/{id}/expire", (string id) =>
        {
            if (!sessions.TryGetValue(id, out var session))
            {
                return Error(404, "invalid_request_error", "resource_missing", $"No such checkout.session: '{id}'");
            }

            lock (session)
            {
                if ((string?)session["status"] != "open")
                {
                    return Error(400, "invalid_request_error", null, $"Only Checkout Sessions with a status in [\"open\"] can be expired. This Checkout Session has a status of \"{session["status"]}\".");
                }

                session["status"] = "expired";
                session["url"] = null;
                return Json(session);
            }
        });

        web.MapPost("/v1/billing_portal/sessions", (HttpContext context) =>
        {
            var form = Form(context);
            if (MissingCustomer(form) is { } missing)
            {
                return missing;
            }

            var id = NextId("bps");
            return Json(new JsonObject
            {
                ["id"] = id,
                ["object"] = "billing_portal.session",
                ["created"] = Now(),
                ["customer"] = form.GetValueOrDefault("customer"),
                ["livemode"] = false,
                ["return_url"] = form.GetValueOrDefault("return_url"),
                ["url"] = $"https://billing.stripe.com/p/session/{id}",
            });
        });

        // GET /v1/events?created[gte]=...&limit=...&starting_after=...: newest first, paged like Stripe's list API.
        web.MapGet("/v1/events", (HttpContext context) =>
        {
            var query = context.Request.Query;
            var gte = long.TryParse(query["created[gte]"], out var g) ? g : long.MinValue;
            var limit = int.TryParse(query["limit"], out var l) ? Math.Clamp(l, 1, 100) : 10;
            List<JsonObject> all;
            lock (events)
            {
                all = events.Where(e => (long)e["created"]! >= gte)
                    .OrderByDescending(e => (long)e["created"]!).ThenByDescending(e => (string)e["id"]!, StringComparer.Ordinal).ToList();
            }

            var start = 0;
            if (query["starting_after"].FirstOrDefault() is { Length: > 0 } after)
            {
                start = all.FindIndex(e => (string)e["id"]! == after) + 1;
            }

            var page = all.Skip(start).Take(limit).ToList();
            var data = new JsonArray();
            foreach (var e in page)
            {
                data.Add(e.DeepClone());
            }

            return Json(new JsonObject
            {
                ["object"] = "list",
                ["data"] = data,
                ["has_more"] = start + page.Count < all.Count,
                ["url"] = "/v1/events",
            });
        });

        web.MapFallback((HttpContext context) =>
            Error(404, "invalid_request_error", null, $"Unrecognized request URL ({context.Request.Method}: {context.Request.Path})."));
    }

    /// <summary>The subscription as Stripe returns it: at most <see cref="EmbeddedItems"/> items, then <c>has_more</c>.</summary>
    private static JsonObject Embedded(JsonObject subscription)
    {
        var copy = (JsonObject)subscription.DeepClone();
        var data = copy["items"]!["data"]!.AsArray();
        if (data.Count > EmbeddedItems)
        {
            while (data.Count > EmbeddedItems)
            {
                data.RemoveAt(data.Count - 1);
            }

            copy["items"]!["has_more"] = true;
        }

        return copy;
    }

    private IResult Idempotent(HttpContext context, Func<IResult> create)
    {
        var key = context.Request.Headers["Idempotency-Key"].FirstOrDefault();
        if (key is null)
        {
            return create();
        }

        lock (idempotent)
        {
            var scoped = $"{context.Request.Path}|{key}";
            if (idempotent.TryGetValue(scoped, out var earlier))
            {
                context.Response.Headers["Idempotent-Replayed"] = "true";
                return Results.Content(earlier.Body, "application/json", statusCode: earlier.Status);
            }

            var result = create();
            if (result is Microsoft.AspNetCore.Http.HttpResults.ContentHttpResult content)
            {
                idempotent[scoped] = (content.StatusCode ?? 200, content.ResponseContent ?? string.Empty);
            }

            return result;
        }
    }

    /// <summary>Stripe's answer to a request naming a customer it does not have (e.g. deleted in the dashboard).</summary>
    private IResult? MissingCustomer(Dictionary<string, string> form) =>
        form.TryGetValue("customer", out var customer) && !customers.ContainsKey(customer)
            ? Error(400, "invalid_request_error", "resource_missing", $"No such customer: '{customer}'", "customer")
            : null;

    private static Dictionary<string, string> Form(HttpContext context) => (Dictionary<string, string>)context.Items["form"]!;

    private static JsonObject Metadata(Dictionary<string, string> form, string prefix)
    {
        var metadata = new JsonObject();
        foreach (var (key, value) in form.Where(f => f.Key.StartsWith(prefix + "[", StringComparison.Ordinal)))
        {
            metadata[key[(prefix.Length + 1)..^1]] = value;
        }

        return metadata;
    }

    public static long Now() => DateTimeOffset.UtcNow.ToUnixTimeSeconds();

    private static IResult Json(JsonNode body) => Results.Content(body.ToJsonString(), "application/json");

    private static IResult Error(int status, string type, string? code, string message, string? param = null) =>
        Results.Content(
            new JsonObject { ["error"] = new JsonObject { ["type"] = type, ["code"] = code, ["message"] = message, ["param"] = param } }.ToJsonString(),
            "application/json",
            statusCode: status);

    public ValueTask DisposeAsync() => server.DisposeAsync();
}
