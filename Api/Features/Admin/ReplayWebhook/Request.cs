namespace Platform.Api.Features.Admin.ReplayWebhook;

public sealed class Request
{
    /// <summary>The stored event's id (uuid) or its Stripe id (<c>evt_...</c>).</summary>
    public string Id { get; set; } = string.Empty;
}
