using Npgsql;
using Platform.Api.Caching;

namespace Platform.Api.Features.Discovery.Shared;

/// <summary>
/// What a username or slug that no longer resolves became (<c>public_name_status()</c>, migration 015): a renamed
/// public creator's old username → 301 to the current one; a deleted account's username or item slug → 410;
/// anything else → 404. Called only on a miss, inside the cached factory, so unknown names stay one cached 404.
/// </summary>
public static class PublicNames
{
    public const string Username = "username";
    public const string ContentSlug = "content_slug";

    /// <param name="movedTo">The path of the current username (e.g. <c>u => "/@" + u</c>).</param>
    public static async Task<CachedResponse> MissAsync(
        NpgsqlDataSource dataSource, string kind, string name, Func<string, string> movedTo, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand("SELECT status, current_username FROM public_name_status(@kind, @name)");
        command.Parameters.AddWithValue("kind", kind);
        command.Parameters.AddWithValue("name", name);
        await using var reader = await command.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct))
        {
            return CachedResponse.NotFound();
        }

        return reader.GetString(0) == "gone" ? CachedResponse.Gone() : CachedResponse.Moved(movedTo(reader.GetString(1)));
    }
}
