using Npgsql;

namespace Platform.Api.Features.Admin.FeaturedCreators;

/// <summary>One curation entry as admins see it (including scheduled and expired ones).</summary>
public sealed record FeaturedEntry(
    Guid Id,
    Guid UserId,
    string? Username,
    int Position,
    DateTimeOffset FeaturedFrom,
    DateTimeOffset? FeaturedUntil,
    string? Note,
    bool Active);

public static class FeaturedEntries
{
    public const string Select = """
        SELECT f.id, f.user_id, u.username, f.position, f.featured_from, f.featured_until, f.note,
               f.featured_from <= now() AND (f.featured_until IS NULL OR f.featured_until > now()) AS active
        FROM featured_creator f JOIN users u ON u.id = f.user_id
        """;

    public static FeaturedEntry Read(NpgsqlDataReader r) => new(
        r.GetGuid(0), r.GetGuid(1), r.IsDBNull(2) ? null : r.GetString(2), r.GetInt32(3), r.GetFieldValue<DateTimeOffset>(4),
        r.IsDBNull(5) ? null : r.GetFieldValue<DateTimeOffset>(5), r.IsDBNull(6) ? null : r.GetString(6), r.GetBoolean(7));

    public static async Task<FeaturedEntry?> GetAsync(NpgsqlDataSource dataSource, Guid id, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand(Select + " WHERE f.id = @id");
        command.Parameters.AddWithValue("id", id);
        await using var reader = await command.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? Read(reader) : null;
    }
}
