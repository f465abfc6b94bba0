using Platform.Core.Billing;
using Platform.TestSupport;

namespace Platform.Workers.Tests.Billing;

/// <summary>The billing audit trail records Stripe's and remote error texts even when PostgreSQL cannot store them as given.</summary>
public sealed class BillingAuditTextTests(MigratedDatabase db) : IClassFixture<MigratedDatabase>
{
    [Fact]
    public async Task An_entry_with_nul_and_unpaired_surrogates_is_appended_cleaned()
    {
        var eventId = "evt_text_" + Guid.NewGuid().ToString("N")[..8];
        await using var connection = await db.DataSource.OpenConnectionAsync();

        await BillingAudit.AppendAsync(connection, null, new BillingAuditEntry(BillingAudit.Failed, "stripe")
        {
            StripeEventId = eventId,
            EventType = "customer.subscription.updated\0",
            Message = "StripeException: a\0b\uD800",
            Details = new { remote = "x\0y" },
        });

        Assert.Equal("StripeException: ab\uFFFD", await db.ScalarAsync<string>($"SELECT message FROM billing_audit WHERE stripe_event_id = '{eventId}'"));
        Assert.Equal("xy", await db.ScalarAsync<string>($"SELECT details->>'remote' FROM billing_audit WHERE stripe_event_id = '{eventId}'"));
        Assert.Equal("customer.subscription.updated", await db.ScalarAsync<string>($"SELECT event_type FROM billing_audit WHERE stripe_event_id = '{eventId}'"));
    }
}
