namespace Platform.Core.Audit;

/// <summary>
/// An account was deleted (<c>DELETE /api/me</c>), in the account's audit stream (<see cref="AuditStreams.Account"/>):
/// who asked, when, what was removed (counts only: the removed data itself is gone) and what happened to the
/// Stripe subscription. Kept as the record that the deletion was done.
/// </summary>
public sealed class AccountDeleted
{
    public Guid UserId { get; set; }

    public DateTimeOffset At { get; set; }

    /// <summary><c>user:&lt;uuid&gt;</c> (the account itself).</summary>
    public string Actor { get; set; } = string.Empty;

    public long ContentItems { get; set; }

    public long Media { get; set; }

    public long Tags { get; set; }

    public long Clicks { get; set; }

    public long PlatformAccounts { get; set; }

    public long Identities { get; set; }

    public long Jobs { get; set; }

    /// <summary><c>none</c>, <c>cancel_at_period_end</c>, <c>canceled_now</c> or <c>already_canceled</c>.</summary>
    public string Subscription { get; set; } = "none";

    /// <summary>The plan's Stripe subscription (<c>sub_…</c>), the first of <see cref="StripeSubscriptionIds"/>.</summary>
    public string? StripeSubscriptionId { get; set; }

    /// <summary>Every Stripe subscription of the user at deletion (a user can hold several, migration 016); the live
    /// ones were canceled as <see cref="Subscription"/> says.</summary>
    public List<string> StripeSubscriptionIds { get; set; } = [];
}
