using System.Text.Json;
using Npgsql;

namespace Platform.Api.Features.Admin;

/// <summary>A stored Stripe event, its processing state and its audit timeline (admin view).</summary>
public sealed record WebhookEventResponse(
    Guid Id,
    string StripeEventId,
    string EventType,
    string? ApiVersion,
    string Status,
    int Attempts,
    int MaxAttempts,
    string? LastError,
    Guid? JobId,
    string Source,
    DateTimeOffset ReceivedAt,
    DateTimeOffset? ProcessedAt,
    IReadOnlyList<AuditEntry> Audit)
{
    /// <summary>Finds an event by its row id (uuid) or its Stripe id (<c>evt_...</c>).</summary>
    public static async Task<Guid?> ResolveIdAsync(NpgsqlConnection connection, string id, CancellationToken ct)
    {
        if (Guid.TryParse(id, out var guid))
        {
            return guid;
        }

        await using var command = new NpgsqlCommand("SELECT id FROM stripe_webhook_events WHERE stripe_event_id = @id", connection);
        command.Parameters.AddWithValue("id", id);
        return await command.ExecuteScalarAsync(ct) as Guid?;
    }

    public static async Task<WebhookEventResponse?> LoadAsync(NpgsqlConnection connection, Guid id, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(
            """
            SELECT id, stripe_event_id, event_type, api_version, status, attempts, max_attempts, last_error, job_id, source,
                   received_at, processed_at
            FROM stripe_webhook_events WHERE id = @id;
            SELECT occurred_at, action, actor, message, details FROM billing_audit WHERE webhook_event_id = @id ORDER BY id;
            """,
            connection);
        command.Parameters.AddWithValue("id", id);
        await using var reader = await command.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct))
        {
            return null;
        }

        var response = new WebhookEventResponse(
            reader.GetGuid(0), reader.GetString(1), reader.GetString(2), reader.IsDBNull(3) ? null : reader.GetString(3),
            reader.GetString(4), reader.GetInt32(5), reader.GetInt32(6), reader.IsDBNull(7) ? null : reader.GetString(7),
            reader.IsDBNull(8) ? null : reader.GetGuid(8), reader.GetString(9), reader.GetFieldValue<DateTimeOffset>(10),
            reader.IsDBNull(11) ? null : reader.GetFieldValue<DateTimeOffset>(11), []);
        await reader.NextResultAsync(ct);
        var audit = new List<AuditEntry>();
        while (await reader.ReadAsync(ct))
        {
            audit.Add(new AuditEntry(
                reader.GetFieldValue<DateTimeOffset>(0), reader.GetString(1), reader.GetString(2),
                reader.IsDBNull(3) ? null : reader.GetString(3),
                reader.IsDBNull(4) ? null : JsonDocument.Parse(reader.GetString(4)).RootElement.Clone()));
        }

        return response with { Audit = audit };
    }
}

public sealed record AuditEntry(DateTimeOffset OccurredAt, string Action, string Actor, string? Message, JsonElement? Details);
