using System.Data;
using System.Text.Json;
using FastEndpoints;
using Npgsql;
using Platform.Api.Auth;

namespace Platform.Api.Features.Account.ExportAccount;

/// <summary>
/// <c>GET /api/me/export</c>: everything the platform holds about me, as one JSON document written while it is read
/// (a creator with a million items never sits in memory): <c>user</c>, <c>profile</c>, <c>identities</c>,
/// <c>plan</c>, <c>platform_accounts</c>, <c>content</c> (with tags and media), <c>jobs</c> of the last 30 days and
/// <c>billing_history</c> (the billing audit trail). One read-only snapshot, so the sections agree with each other.
/// </summary>
public sealed class Endpoint(NpgsqlDataSource dataSource) : EndpointWithoutRequest
{
    private const int FlushEveryRows = 256;

    private static readonly (string Name, bool Many, string Sql)[] Sections =
    [
        ("user", false, "SELECT id, email, created_at FROM users WHERE id = @id"),
        ("profile", false, """
            SELECT username, display_name, bio, avatar_url, website_url, social_links, is_public, profile_updated_at AS updated_at
            FROM users WHERE id = @id
            """),
        ("identities", true, "SELECT issuer, subject, created_at FROM user_identity WHERE user_id = @id ORDER BY created_at, issuer"),
        ("plan", false, """
            SELECT tier, status, current_period_end, cancel_at_period_end, trial_end, stripe_customer_id, stripe_subscription_id,
                   stripe_price_id, created_at, updated_at
            FROM subscription WHERE user_id = @id
            """),
        ("platform_accounts", true, """
            SELECT id, platform, external_id, handle, url, title, is_active, extract(epoch FROM sync_interval)::integer AS sync_interval_seconds,
                   last_synced_at, next_sync_at, created_at
            FROM platform_account WHERE user_id = @id ORDER BY created_at, id
            """),
        ("content", true, """
            SELECT c.id, c.slug, c.platform, c.external_id, c.title, c.description, c.url, c.thumbnail_url, c.status, c.published_at,
                   cat.slug AS category, c.duration_seconds, c.view_count, c.like_count, c.click_count, c.platform_account_id,
                   c.created_at, c.updated_at,
                   (SELECT coalesce(jsonb_agg(jsonb_build_object('tag', t.tag, 'source', t.source) ORDER BY t.source, t.tag), '[]'::jsonb)
                    FROM content_tag t WHERE t.content_id = c.id) AS tags,
                   (SELECT coalesce(jsonb_agg(jsonb_build_object('kind', m.kind, 'url', m.url, 'width', m.width, 'height', m.height)
                                              ORDER BY m.position, m.id), '[]'::jsonb)
                    FROM content_media m WHERE m.content_id = c.id) AS media
            FROM content_item c
            LEFT JOIN content_category cat ON cat.id = c.category_id
            WHERE c.creator_id = @id
            ORDER BY c.created_at, c.id
            """),
        ("jobs", true, """
            SELECT id, job_type AS type, queue, status, attempts, payload, result, error, created_at, started_at, completed_at
            FROM job_queue WHERE user_id = @id AND created_at > now() - interval '30 days' ORDER BY created_at, id
            """),
        ("billing_history", true, """
            SELECT occurred_at AS at, action, event_type, stripe_event_id, actor, message, details
            FROM billing_audit WHERE user_id = @id ORDER BY id
            """),
    ];

    public override void Configure()
    {
        Get("/api/me/export");
        Description(d => d.WithTags("Account").Produces(200, contentType: "application/json"));
        Summary(s => s.Summary = "Download all my data as JSON (streamed)");
    }

    public override async Task HandleAsync(CancellationToken ct)
    {
        var userId = User.UserId()!.Value;
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(IsolationLevel.RepeatableRead, ct);
        await using (var readOnly = new NpgsqlCommand("SET TRANSACTION READ ONLY", connection, transaction))
        {
            await readOnly.ExecuteNonQueryAsync(ct);
        }

        var response = HttpContext.Response;
        response.ContentType = "application/json; charset=utf-8";
        response.Headers.CacheControl = "no-store";
        response.Headers.ContentDisposition = $"attachment; filename=\"platform-export-{userId}.json\"";
        await response.StartAsync(ct);

        await using var json = new Utf8JsonWriter(response.Body);
        json.WriteStartObject();
        json.WriteString("exported_at", DateTimeOffset.UtcNow);
        json.WriteString("format", "platform-export/1");
        foreach (var (name, many, sql) in Sections)
        {
            json.WritePropertyName(name);
            await using var command = new NpgsqlCommand(sql, connection, transaction);
            command.Parameters.AddWithValue("id", userId);
            await using var reader = await command.ExecuteReaderAsync(ct);
            if (many)
            {
                json.WriteStartArray();
            }

            var rows = 0;
            while (await reader.ReadAsync(ct))
            {
                WriteRow(json, reader);
                if (++rows % FlushEveryRows == 0)
                {
                    await json.FlushAsync(ct);
                }

                if (!many)
                {
                    break;
                }
            }

            if (many)
            {
                json.WriteEndArray();
            }
            else if (rows == 0)
            {
                json.WriteNullValue();
            }

            await json.FlushAsync(ct);
        }

        json.WriteEndObject();
        await json.FlushAsync(ct);
        await transaction.CommitAsync(ct);
    }

    private static void WriteRow(Utf8JsonWriter json, NpgsqlDataReader reader)
    {
        json.WriteStartObject();
        for (var i = 0; i < reader.FieldCount; i++)
        {
            json.WritePropertyName(reader.GetName(i));
            if (reader.IsDBNull(i))
            {
                json.WriteNullValue();
                continue;
            }

            switch (reader.GetDataTypeName(i))
            {
                case "jsonb" or "json":
                    json.WriteRawValue(reader.GetString(i), skipInputValidation: true);
                    break;
                case "timestamp with time zone":
                    json.WriteStringValue(reader.GetFieldValue<DateTimeOffset>(i));
                    break;
                case "uuid":
                    json.WriteStringValue(reader.GetGuid(i));
                    break;
                case "boolean":
                    json.WriteBooleanValue(reader.GetBoolean(i));
                    break;
                case "smallint" or "integer" or "bigint":
                    json.WriteNumberValue(Convert.ToInt64(reader.GetValue(i), System.Globalization.CultureInfo.InvariantCulture));
                    break;
                default:
                    json.WriteStringValue(reader.GetValue(i).ToString());
                    break;
            }
        }

        json.WriteEndObject();
    }
}
