namespace Platform.Api.Features.Webhooks.ReceiveStripe;

/// <param name="Duplicate">true when the event was received before (nothing changed).</param>
/// <param name="Processing"><c>queued</c> for a type the platform acts on, <c>ignored</c> for any other (stored only).</param>
public sealed record Response(string EventId, bool Duplicate, string Processing);
