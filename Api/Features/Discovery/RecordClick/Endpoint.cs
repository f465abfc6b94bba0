using FastEndpoints;
using Npgsql;
using NpgsqlTypes;
using Platform.Api.Features.Discovery.Shared;
using RateLimits = Platform.Api.Http.RateLimits;
using Platform.Api.Http;

namespace Platform.Api.Features.Discovery.RecordClick;

/// <summary>
/// <c>POST /api/public/content/{id}/click</c>: records an outbound click through <c>record_content_click()</c>,
/// counted once per visitor (salted hash of the client address, never the IP; see <see cref="VisitorHasher"/>) and
/// item per 30-minute window. Rate-limited per client address by <see cref="RateLimits.ClickPolicy"/> (an hourly cap
/// of clicks, instead of the public budget). 404 for anything not public.
/// </summary>
public sealed class Endpoint(AnonymousDataSource anonymous, VisitorHasher hasher) : Endpoint<Request, Response>
{
    private readonly NpgsqlDataSource dataSource = anonymous.DataSource;

    private const string Sql = """
        SELECT record_content_click(p.id, @visitor, @referrer, @source)
        FROM public_content p
        WHERE p.id = @id
        """;

    public override void Configure()
    {
        Post("/api/public/content/{id}/click");
        AllowAnonymous();
        Options(x => x.RequireRateLimiting(RateLimits.ClickPolicy));
        Description(d => d.WithTags("Discovery").ProducesProblemDetails(400).ProducesProblemDetails(404));
        Summary(s => s.Summary = "Record a click on a public item (deduplicated per visitor within 30 minutes)");
    }

    public override async Task HandleAsync(Request request, CancellationToken ct)
    {
        var referrer = request.Referrer ?? HttpContext.Request.Headers.Referer.ToString();
        await using var command = dataSource.CreateCommand(Sql);
        command.Parameters.AddWithValue("id", request.Id);
        command.Parameters.Add(new NpgsqlParameter("visitor", NpgsqlDbType.Bytea) { Value = hasher.Hash(HttpContext) });
        command.Parameters.Add(new NpgsqlParameter("referrer", NpgsqlDbType.Text) { Value = string.IsNullOrEmpty(referrer) ? DBNull.Value : referrer });
        command.Parameters.Add(new NpgsqlParameter("source", NpgsqlDbType.Text) { Value = (object?)request.Source ?? DBNull.Value });
        var result = await command.ExecuteScalarAsync(ct);
        if (result is not bool counted)
        {
            await Problems.NotFoundAsync(HttpContext);
            return;
        }

        HttpContext.Response.Headers.CacheControl = "no-store";
        await Send.OkAsync(new Response(counted), ct);
    }
}
