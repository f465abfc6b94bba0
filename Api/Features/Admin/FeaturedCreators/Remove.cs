using FastEndpoints;
using Npgsql;
using Platform.Api.Caching;
using Platform.Api.Features.Discovery.Shared;
using Platform.Api.Http;
using Platform.Core.Discovery;

namespace Platform.Api.Features.Admin.FeaturedCreators;

/// <summary><c>DELETE /api/admin/featured-creators/{id}</c>: stop featuring (204; 404 when unknown).</summary>
public sealed class Remove(NpgsqlDataSource dataSource, PublicCache cache) : EndpointWithoutRequest
{
    public override void Configure()
    {
        Delete("/api/admin/featured-creators/{id}");
        Roles("admin");
        Description(d => d.WithTags("Admin").ProducesProblemDetails(404));
        Summary(s => s.Summary = "Remove a featured-creator entry");
    }

    public override async Task HandleAsync(CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand("DELETE FROM featured_creator WHERE id = @id");
        command.Parameters.AddWithValue("id", Route<Guid>("id"));
        if (await command.ExecuteNonQueryAsync(ct) == 0)
        {
            await Problems.NotFoundAsync(HttpContext);
            return;
        }

        await cache.InvalidateAsync([DiscoveryCacheTags.Featured], ct);
        await Send.NoContentAsync(ct);
    }
}
