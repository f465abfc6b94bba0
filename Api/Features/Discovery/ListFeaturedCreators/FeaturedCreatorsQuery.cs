using Npgsql;
using Platform.Api.Features.Discovery.Shared;

namespace Platform.Api.Features.Discovery.ListFeaturedCreators;

/// <summary>
/// The featured-creator schedule (current and future entries of featured_creator, public creators only) and the
/// entries active at a given moment: the JSON endpoint and the home page read it.
/// </summary>
public static class FeaturedCreatorsQuery
{
    /// <summary>Entries active at <paramref name="now"/> (featured_from &lt;= now &lt; featured_until), one per creator, in position order.</summary>
    public static List<FeaturedCreator> Active(FeaturedSchedule schedule, DateTimeOffset now) =>
        schedule.Entries
            .Where(e => e.FeaturedFrom <= now && (e.FeaturedUntil is null || e.FeaturedUntil > now))
            .DistinctBy(e => e.Username, StringComparer.OrdinalIgnoreCase)
            .ToList();

    private const string ScheduleSql = """
        SELECT u.username, u.display_name, u.avatar_url, u.bio, f.position, f.featured_from, f.featured_until
        FROM featured_creator f
        JOIN users u ON u.id = f.user_id
        WHERE u.is_public AND u.username IS NOT NULL AND (f.featured_until IS NULL OR f.featured_until > now())
        ORDER BY f.position, f.featured_from, f.id
        LIMIT 1000
        """;

    public static async ValueTask<FeaturedSchedule> LoadScheduleAsync(NpgsqlDataSource dataSource, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand(ScheduleSql);
        await using var reader = await command.ExecuteReaderAsync(ct);
        return await ReadScheduleAsync(reader, ct);
    }

    /// <summary>The schedule's query as one statement of a page's <see cref="PreparedBatch"/>; read it with <see cref="ReadScheduleAsync"/>.</summary>
    public static NpgsqlBatchCommand ScheduleStatement() => new(ScheduleSql);

    /// <summary>Reads the schedule where <paramref name="reader"/> stands (<see cref="ScheduleStatement"/>'s result).</summary>
    public static async Task<FeaturedSchedule> ReadScheduleAsync(NpgsqlDataReader reader, CancellationToken ct)
    {
        var entries = new List<FeaturedCreator>();
        while (await reader.ReadAsync(ct))
        {
            entries.Add(new FeaturedCreator(
                reader.GetString(0),
                reader.IsDBNull(1) ? null : reader.GetString(1),
                reader.IsDBNull(2) ? null : reader.GetString(2),
                reader.IsDBNull(3) ? null : reader.GetString(3),
                reader.GetInt32(4),
                reader.GetFieldValue<DateTimeOffset>(5),
                reader.IsDBNull(6) ? null : reader.GetFieldValue<DateTimeOffset>(6)));
        }

        return new FeaturedSchedule { Entries = [.. entries] };
    }
}
