using FastEndpoints;
using Npgsql;
using Platform.Api.Auth;
using Platform.Api.Http;
using Platform.Core.Billing;

namespace Platform.Api.Features.Admin.ReplayWebhook;

/// <summary>
/// <c>POST /api/admin/webhooks/{id}/replay</c> (admin): processes a stored Stripe event again, typically one that ended
/// <c>failed</c>: resets it to pending with a new <c>stripe_webhook</c> job (<c>replay_stripe_webhook</c>) and audits
/// who replayed it. An event whose job is still pending or running is not queued twice. Processing re-reads the
/// subscription from Stripe, so a replay can never apply stale state.
/// </summary>
public sealed class Endpoint(NpgsqlDataSource dataSource) : Endpoint<Request, WebhookEventResponse>
{
    public override void Configure()
    {
        Post("/api/admin/webhooks/{id}/replay");
        Roles(AuthOptions.AdminRole);
        Description(d => d.WithTags("Admin").Produces<WebhookEventResponse>(202).ProducesProblemDetails(404));
        Summary(s => s.Summary = "Replay a stored Stripe event");
    }

    public override async Task HandleAsync(Request request, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var id = await WebhookEventResponse.ResolveIdAsync(connection, request.Id, ct);
        Guid? jobId = null;
        if (id is not null)
        {
            await using var transaction = await connection.BeginTransactionAsync(ct);
            await using (var replay = new NpgsqlCommand("SELECT replay_stripe_webhook(@id)", connection, transaction))
            {
                replay.Parameters.AddWithValue("id", id.Value);
                jobId = await replay.ExecuteScalarAsync(ct) as Guid?;
            }

            if (jobId is not null)
            {
                await BillingAudit.AppendAsync(connection, transaction, new BillingAuditEntry(BillingAudit.Replayed, $"admin:{User.UserId()}")
                {
                    WebhookEventId = id,
                    Details = new { job_id = jobId },
                }, ct);
            }

            await transaction.CommitAsync(ct);
        }

        var stored = jobId is null ? null : await WebhookEventResponse.LoadAsync(connection, id!.Value, ct);
        if (stored is null)
        {
            await Send.ResultAsync(Problems.NotFound($"No stored Stripe event {Problems.Cite(request.Id)}."));
            return;
        }

        await Send.ResponseAsync(stored, StatusCodes.Status202Accepted, ct);
    }
}
