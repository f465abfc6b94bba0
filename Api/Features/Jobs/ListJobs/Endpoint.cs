using FastEndpoints;
using Npgsql;
using NpgsqlTypes;
using Platform.Api.Auth;
using Platform.Core.Data;
using Platform.Core.Jobs;

namespace Platform.Api.Features.Jobs.ListJobs;

/// <summary><c>GET /api/jobs</c>: my jobs, newest first, filtered by status/type, keyset-paginated.</summary>
public sealed class Endpoint(NpgsqlDataSource dataSource) : Endpoint<Request, Response>
{
    private const int DefaultLimit = 50;

    public override void Configure()
    {
        Get("/api/jobs");
        Description(d => d.WithTags("Jobs").ProducesProblemDetails(400));
        Summary(s => s.Summary = "My jobs, newest first");
    }

    public override async Task HandleAsync(Request request, CancellationToken ct)
    {
        var userId = User.UserId()!.Value;
        var limit = request.Limit ?? DefaultLimit;
        JobCursor? cursor = request.Cursor is not null && JobCursor.TryParse(request.Cursor, out var parsed) ? parsed : null;

        await using var scope = await UserScope.BeginAsync(dataSource, userId, ct);
        await using var command = scope.CreateCommand(
            $"SELECT {JobRecord.Columns} FROM get_jobs_page(@user, @status, @type, @cursor_at, @cursor_id, @limit)");
        command.Parameters.AddWithValue("user", userId);
        command.Parameters.Add(new NpgsqlParameter("status", NpgsqlDbType.Text) { Value = (object?)request.Status ?? DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter("type", NpgsqlDbType.Text) { Value = (object?)request.Type ?? DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter("cursor_at", NpgsqlDbType.TimestampTz) { Value = (object?)cursor?.CreatedAt ?? DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter("cursor_id", NpgsqlDbType.Uuid) { Value = (object?)cursor?.Id ?? DBNull.Value });
        command.Parameters.AddWithValue("limit", limit + 1);
        var jobs = new List<JobRecord>(limit + 1);
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                jobs.Add(JobRecord.Read(reader));
            }
        }

        var hasMore = jobs.Count > limit;
        var page = jobs.Take(limit).ToList();
        var next = hasMore ? new JobCursor(page[^1].CreatedAt, page[^1].Id).ToString() : null;
        HttpContext.Response.Headers.CacheControl = "no-store";
        await Send.OkAsync(new Response(page.Select(JobResponse.From).ToList(), next), ct);
    }
}
