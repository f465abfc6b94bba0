namespace Platform.Api.Features.Account.DeleteAccount;

public sealed class Request
{
    /// <summary>Query <c>cancel</c>: a live Stripe subscription ends at <c>period_end</c> (default: what was paid for runs out) or <c>now</c>.</summary>
    public string? Cancel { get; set; }
}
