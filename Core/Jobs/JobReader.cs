using Platform.Core.Data;

namespace Platform.Core.Jobs;

/// <summary>Reads jobs inside a <see cref="UserScope"/>: row-level security decides what the user may see.</summary>
public static class JobReader
{
    public static async Task<JobRecord?> FindAsync(UserScope scope, Guid id, CancellationToken cancellationToken = default)
    {
        await using var command = scope.CreateCommand($"SELECT {JobRecord.Columns} FROM job_queue WHERE id = @id");
        command.Parameters.AddWithValue("id", id);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? JobRecord.Read(reader) : null;
    }
}
