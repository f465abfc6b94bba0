using Npgsql;

namespace Platform.Workers.Billing;

/// <summary>A row of <c>stripe_webhook_events</c> as processing needs it.</summary>
public sealed record StoredStripeEvent(Guid Id, string StripeEventId, string EventType, string PayloadJson, string Status, int Attempts)
{
    public static async Task<StoredStripeEvent?> LoadAsync(NpgsqlDataSource dataSource, Guid id, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "SELECT id, stripe_event_id, event_type, payload::text, status, attempts FROM stripe_webhook_events WHERE id = @id");
        command.Parameters.AddWithValue("id", id);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? new StoredStripeEvent(reader.GetGuid(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetString(4), reader.GetInt32(5))
            : null;
    }
}
