using FastEndpoints;
using Npgsql;
using Platform.Api.Auth;
using Platform.Api.Http;

namespace Platform.Api.Features.Admin.GetWebhook;

/// <summary><c>GET /api/admin/webhooks/{id}</c> (admin): a stored Stripe event's status, attempts, last error and audit timeline.</summary>
public sealed class Endpoint(NpgsqlDataSource dataSource) : Endpoint<Request, WebhookEventResponse>
{
    public override void Configure()
    {
        Get("/api/admin/webhooks/{id}");
        Roles(AuthOptions.AdminRole);
        Description(d => d.WithTags("Admin").ProducesProblemDetails(404));
        Summary(s => s.Summary = "A stored Stripe event");
    }

    public override async Task HandleAsync(Request request, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var id = await WebhookEventResponse.ResolveIdAsync(connection, request.Id, ct);
        var stored = id is null ? null : await WebhookEventResponse.LoadAsync(connection, id.Value, ct);
        if (stored is null)
        {
            await Send.ResultAsync(Problems.NotFound($"No stored Stripe event {Problems.Cite(request.Id)}."));
            return;
        }

        await Send.OkAsync(stored, ct);
    }
}
