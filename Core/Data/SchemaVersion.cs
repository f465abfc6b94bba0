using System.Globalization;
using Npgsql;

namespace Platform.Core.Data;

/// <summary>
/// The database schema a build of the services needs: the highest migration embedded in the runner of the same build
/// (<c>Migrations/Scripts/NNN_description.sql</c>, listed at build time into <c>SchemaManifest</c>), compared with the
/// history the runner writes (<c>public.schema_migrations</c>) and the audit schema it creates after the scripts
/// (Marten's <c>audit.mt_events</c>). A newer database is fine: migrations stay backward compatible with the previous
/// release's code.
/// </summary>
public static class SchemaVersion
{
    /// <summary>The runner's history table (<c>MigrationRunner.HistoryTable</c> is this constant).</summary>
    public const string HistoryTable = "public.schema_migrations";

    /// <summary>The table that exists once the runner has created Marten's audit schema.</summary>
    public const string AuditEventsTable = "audit.mt_events";

    /// <summary>Version of the newest migration this build was made with, e.g. 14.</summary>
    public static int Required { get; } = SchemaManifest.Scripts.Max(VersionOf);

    /// <summary>File name (without <c>.sql</c>) of that migration, e.g. <c>014_disconnect_unpublish</c>.</summary>
    public static string RequiredScript { get; } = SchemaManifest.Scripts.MaxBy(VersionOf)!;

    /// <summary>The migrations this build was made with (file names without <c>.sql</c>), in version order.</summary>
    public static IReadOnlyList<string> Scripts { get; } = SchemaManifest.Scripts.OrderBy(VersionOf).ToArray();

    /// <summary>
    /// Why the database cannot serve this build yet, or null when it can (every migration up to <see cref="Required"/>
    /// applied and the audit schema created). Connection failures propagate as <see cref="NpgsqlException"/>.
    /// </summary>
    public static async Task<string?> CheckAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using (var tables = new NpgsqlCommand(
            $"SELECT to_regclass('{HistoryTable}') IS NOT NULL, to_regclass('{AuditEventsTable}') IS NOT NULL", connection))
        await using (var reader = await tables.ExecuteReaderAsync(cancellationToken))
        {
            await reader.ReadAsync(cancellationToken);
            if (!reader.GetBoolean(0))
            {
                return $"no migrations applied ({HistoryTable} does not exist); this build needs {RequiredScript}";
            }

            if (!reader.GetBoolean(1))
            {
                return $"the audit schema ({AuditEventsTable}) does not exist yet; the migrations runner creates it after the scripts";
            }
        }

        await using var newest = new NpgsqlCommand($"SELECT max(version) FROM {HistoryTable}", connection);
        var applied = await newest.ExecuteScalarAsync(cancellationToken) is int version ? version : -1;
        return applied >= Required
            ? null
            : $"database at migration {(applied < 0 ? "none" : applied.ToString("000", CultureInfo.InvariantCulture))}, this build needs {RequiredScript}";
    }

    private static int VersionOf(string script) =>
        int.Parse(script.AsSpan(0, script.IndexOf('_')), NumberStyles.None, CultureInfo.InvariantCulture);
}
