using Npgsql;

namespace Platform.Api.Features.Discovery.Shared;

/// <summary>
/// How a public page runs its statements: all of them in one <see cref="NpgsqlBatch"/> (one round trip), prepared.
/// Planning these joins under row-level security cost 1-2 ms a statement at the full-scale seed, more than running them
/// (0.1-0.5 ms); a prepared statement is planned on its first executions only, until PostgreSQL settles on a generic
/// plan (after five, <c>plan_cache_mode</c> auto; https://www.postgresql.org/docs/current/sql-prepare.html). Npgsql keeps
/// a prepared statement on its physical connection across returns to the pool, so preparing again is free
/// (https://www.npgsql.org/doc/prepare.html). Only statements whose good plan does not depend on their parameters' values
/// may run here: a generic plan is planned without them.
/// </summary>
public static class PreparedBatch
{
    /// <summary>Prepares (a no-op once this connection has) and executes <paramref name="batch"/>.</summary>
    public static async Task<NpgsqlDataReader> ExecutePreparedAsync(this NpgsqlBatch batch, CancellationToken ct)
    {
        await batch.PrepareAsync(ct);
        return await batch.ExecuteReaderAsync(ct);
    }
}
