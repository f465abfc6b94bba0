using System.Text;
using System.Text.Json.Nodes;
using Npgsql;
using Platform.Core.Billing;
using Platform.TestSupport;
using Platform.TestSupport.Stripe;
using Platform.Workers.Billing;

namespace Platform.Workers.Tests.Billing;

/// <summary>A migrated database plus a fake Stripe API, with helpers to deliver events and read billing state.</summary>
public class BillingDatabase : MigratedDatabase
{
    public FakeStripe Stripe { get; private set; } = null!;

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        Stripe = await FakeStripe.StartAsync();
    }

    public override async Task DisposeAsync()
    {
        await Stripe.DisposeAsync();
        await base.DisposeAsync();
    }

    public Dictionary<string, string?> Settings(bool reconcile = false) => new()
    {
        ["Stripe:SecretKey"] = "sk_test_fake_workers",
        ["Stripe:ApiBase"] = Stripe.BaseUrl,
        ["Stripe:Prices:pro"] = StripeFixtures.ProPrice,
        ["Stripe:Prices:business"] = StripeFixtures.BusinessPrice,
        ["Stripe:MaxNetworkRetries"] = "0",
        ["Stripe:ReconcileInterval"] = reconcile ? "00:15:00" : "00:00:00",
        ["Stripe:RetentionInterval"] = "00:00:00",
    };

    /// <summary>An in-process Workers replica with Stripe processing.</summary>
    public Task<WorkerHost> StartWorkerAsync() =>
        WorkerHost.StartAsync(ConnectionString, services => services.AddStripeWebhookProcessing(), Settings());

    public async Task<Guid> CreateUserAsync()
    {
        var id = Guid.NewGuid();
        await using var command = DataSource.CreateCommand("SELECT ensure_user(@id)");
        command.Parameters.AddWithValue("id", id);
        await command.ExecuteNonQueryAsync();
        return id;
    }

    /// <summary>Delivers an event through the intake the webhook receiver uses (after verification).</summary>
    public async Task<RecordedStripeEvent> DeliverAsync(JsonObject stripeEvent)
    {
        var json = stripeEvent.ToJsonString();
        Assert.True(StripeEventEnvelope.TryParse(Encoding.UTF8.GetBytes(json), out var envelope, out var error), error);
        return await StripeWebhookStore.RecordAsync(DataSource, envelope!, json, StripeEventSource.Webhook);
    }

    public async Task<string?> EventStatusAsync(string stripeEventId)
    {
        await using var command = DataSource.CreateCommand("SELECT status FROM stripe_webhook_events WHERE stripe_event_id = @id");
        command.Parameters.AddWithValue("id", stripeEventId);
        return await command.ExecuteScalarAsync() as string;
    }

    public async Task WaitForEventAsync(string stripeEventId, string status, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        string? current;
        while ((current = await EventStatusAsync(stripeEventId)) != status)
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"Stripe event {stripeEventId} stayed {current ?? "(absent)"}, expected {status}; error: {await LastErrorAsync(stripeEventId)}");
            }

            await Task.Delay(50);
        }
    }

    public async Task<string?> LastErrorAsync(string stripeEventId)
    {
        await using var command = DataSource.CreateCommand("SELECT last_error FROM stripe_webhook_events WHERE stripe_event_id = @id");
        command.Parameters.AddWithValue("id", stripeEventId);
        return await command.ExecuteScalarAsync() as string;
    }

    public async Task<Dictionary<string, object?>> SubscriptionAsync(Guid userId)
    {
        await using var command = DataSource.CreateCommand(
            """
            SELECT tier, status, stripe_customer_id, stripe_subscription_id, stripe_price_id, current_period_end, cancel_at_period_end
            FROM subscription WHERE user_id = @user
            """);
        command.Parameters.AddWithValue("user", userId);
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        var row = new Dictionary<string, object?>();
        for (var i = 0; i < reader.FieldCount; i++)
        {
            row[reader.GetName(i)] = reader.IsDBNull(i) ? null : reader.GetValue(i);
        }

        return row;
    }

    public async Task<List<string>> AuditAsync(string stripeEventId)
    {
        await using var command = DataSource.CreateCommand("SELECT action FROM billing_audit WHERE stripe_event_id = @id ORDER BY id");
        command.Parameters.AddWithValue("id", stripeEventId);
        await using var reader = await command.ExecuteReaderAsync();
        var actions = new List<string>();
        while (await reader.ReadAsync())
        {
            actions.Add(reader.GetString(0));
        }

        return actions;
    }

    public async Task<List<string>> StringsAsync(string sql, params (string Name, object Value)[] parameters)
    {
        await using var command = DataSource.CreateCommand(sql);
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        await using var reader = await command.ExecuteReaderAsync();
        var values = new List<string>();
        while (await reader.ReadAsync())
        {
            values.Add(reader.GetString(0));
        }

        return values;
    }

    public async Task<long> CountAsync(string sql, params (string Name, object Value)[] parameters)
    {
        await using var command = DataSource.CreateCommand(sql);
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        return Convert.ToInt64(await command.ExecuteScalarAsync());
    }

    public async Task ExecuteAsync(string sql, params (string Name, object Value)[] parameters)
    {
        await using var command = DataSource.CreateCommand(sql);
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        await command.ExecuteNonQueryAsync();
    }

    /// <summary>A new customer + subscription in the fake Stripe (status as given) for a new platform user.</summary>
    public async Task<(Guid UserId, string CustomerId, string SubscriptionId)> NewCustomerAsync(string status = "active", string price = StripeFixtures.ProPrice)
    {
        var userId = await CreateUserAsync();
        var customerId = Stripe.NextId("cus");
        var subscriptionId = Stripe.NextId("sub");
        Stripe.SetCustomer(new JsonObject
        {
            ["id"] = customerId,
            ["object"] = "customer",
            ["metadata"] = new JsonObject { ["user_id"] = userId.ToString() },
        });
        Stripe.SetSubscription(StripeFixtures.Subscription(subscriptionId, customerId, status, price, userId: userId));
        return (userId, customerId, subscriptionId);
    }
}
