using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Platform.Migrations;

public enum MigrationState
{
    Applied,
    Pending,
    /// <summary>Applied, but the file changed since.</summary>
    Drifted,
    /// <summary>Recorded in the database but not among the scripts (applied by a newer release).</summary>
    Unknown,
}

public sealed record MigrationStatus(
    int Version, string Name, MigrationState State, string? Checksum, DateTimeOffset? AppliedAt, long? DurationMs, string? AppliedBy);

public sealed record AppliedMigration(MigrationScript Script, TimeSpan Duration);

/// <summary>
/// Applies versioned SQL scripts: a history table with checksums, one runner at a time (a session-level advisory
/// lock, so CREATE INDEX CONCURRENTLY in a non-transactional file cannot wait on our own transaction), each file in
/// its own transaction unless it says <c>-- migrate:no-transaction</c>, edited files refused, failures rolled back and
/// reported with the file, line and column.
/// </summary>
public sealed class MigrationRunner
{
    public const string HistoryTable = "public.schema_migrations";

    /// <summary>Advisory lock key: the bytes of "migrate!", shared by every runner of this platform.</summary>
    public const long LockKey = 0x6D69677261746521;

    private readonly string connectionString;
    private readonly IReadOnlyList<MigrationScript> scripts;
    private readonly ILogger logger;
    private readonly Func<CancellationToken, Task>? afterMigrations;

    /// <param name="afterMigrations">
    /// Runs after the scripts, still under the lock, on every apply (e.g. Marten creating or updating the audit schema
    /// it owns); it must be idempotent.
    /// </param>
    public MigrationRunner(
        string connectionString, IReadOnlyList<MigrationScript> scripts, ILogger? logger = null, Func<CancellationToken, Task>? afterMigrations = null)
    {
        this.afterMigrations = afterMigrations;
        // A dedicated, unpooled connection: the advisory lock lives exactly as long as it does.
        var builder = new NpgsqlConnectionStringBuilder(connectionString)
        {
            Pooling = false,
            ApplicationName = "platform-migrations",
            CommandTimeout = 0,
        };
        this.connectionString = builder.ConnectionString;
        this.scripts = MigrationScriptSource.Ordered(scripts);
        this.logger = logger ?? NullLogger.Instance;
    }

    public IReadOnlyList<MigrationScript> Scripts => scripts;

    /// <summary>Every script and every history row, with its state. Reads only; takes no lock.</summary>
    public async Task<IReadOnlyList<MigrationStatus>> StatusAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken);
        var history = await ReadHistoryAsync(connection, cancellationToken);
        return BuildStatus(history);
    }

    /// <summary>The scripts <see cref="ApplyAsync"/> would run, in order; throws when the history does not validate.</summary>
    public async Task<IReadOnlyList<MigrationScript>> PlanAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken);
        var history = await ReadHistoryAsync(connection, cancellationToken);
        return Validate(history);
    }

    public async Task<IReadOnlyList<AppliedMigration>> ApplyAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await AcquireLockAsync(connection, cancellationToken);
        try
        {
            await EnsureHistoryTableAsync(connection, cancellationToken);
            var pending = Validate(await ReadHistoryAsync(connection, cancellationToken));
            var applied = new List<AppliedMigration>(pending.Count);
            foreach (var script in pending)
            {
                applied.Add(await ApplyOneAsync(connection, script, cancellationToken));
            }

            if (pending.Count == 0)
            {
                logger.LogInformation("Database is up to date ({Count} migrations applied); nothing to do", scripts.Count);
            }

            if (afterMigrations is not null)
            {
                await afterMigrations(cancellationToken);
            }

            return applied;
        }
        finally
        {
            if (connection.State == System.Data.ConnectionState.Open)
            {
                await using var unlock = new NpgsqlCommand("SELECT pg_advisory_unlock(@key)", connection);
                unlock.Parameters.AddWithValue("key", LockKey);
                await unlock.ExecuteScalarAsync(CancellationToken.None);
            }
        }
    }

    private async Task<NpgsqlConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        return connection;
    }

    private async Task AcquireLockAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var tryLock = new NpgsqlCommand("SELECT pg_try_advisory_lock(@key)", connection);
        tryLock.Parameters.AddWithValue("key", LockKey);
        if ((bool)(await tryLock.ExecuteScalarAsync(cancellationToken))!)
        {
            return;
        }

        logger.LogInformation("Another migrations runner holds the lock; waiting for it to finish");
        await using var waitLock = new NpgsqlCommand("SELECT pg_advisory_lock(@key)", connection);
        waitLock.Parameters.AddWithValue("key", LockKey);
        await waitLock.ExecuteNonQueryAsync(cancellationToken);
    }

    private static async Task EnsureHistoryTableAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        const string sql = $"""
            CREATE TABLE IF NOT EXISTS {HistoryTable} (
                version     integer     PRIMARY KEY,
                name        text        NOT NULL,
                checksum    text        NOT NULL,
                applied_at  timestamptz NOT NULL DEFAULT now(),
                duration_ms bigint      NOT NULL,
                applied_by  text        NOT NULL,
                transactional boolean   NOT NULL DEFAULT true
            );
            COMMENT ON TABLE {HistoryTable} IS 'Applied migrations (Migrations/Scripts), written by the platform migrations runner.';
            """;
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private sealed record HistoryRow(int Version, string Name, string Checksum, DateTimeOffset AppliedAt, long DurationMs, string AppliedBy);

    private static async Task<Dictionary<int, HistoryRow>> ReadHistoryAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        var rows = new Dictionary<int, HistoryRow>();
        await using (var exists = new NpgsqlCommand($"SELECT to_regclass('{HistoryTable}') IS NOT NULL", connection))
        {
            if (!(bool)(await exists.ExecuteScalarAsync(cancellationToken))!)
            {
                return rows;
            }
        }

        await using var command = new NpgsqlCommand(
            $"SELECT version, name, checksum, applied_at, duration_ms, applied_by FROM {HistoryTable} ORDER BY version", connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var row = new HistoryRow(
                reader.GetInt32(0), reader.GetString(1), reader.GetString(2),
                reader.GetFieldValue<DateTimeOffset>(3), reader.GetInt64(4), reader.GetString(5));
            rows[row.Version] = row;
        }

        return rows;
    }

    private List<MigrationStatus> BuildStatus(Dictionary<int, HistoryRow> history)
    {
        var status = new List<MigrationStatus>();
        foreach (var script in scripts)
        {
            if (history.TryGetValue(script.Version, out var row))
            {
                var state = row.Checksum == script.Checksum ? MigrationState.Applied : MigrationState.Drifted;
                status.Add(new MigrationStatus(script.Version, script.Name, state, row.Checksum, row.AppliedAt, row.DurationMs, row.AppliedBy));
            }
            else
            {
                status.Add(new MigrationStatus(script.Version, script.Name, MigrationState.Pending, script.Checksum, null, null, null));
            }
        }

        foreach (var row in history.Values.Where(r => scripts.All(s => s.Version != r.Version)))
        {
            status.Add(new MigrationStatus(row.Version, row.Name, MigrationState.Unknown, row.Checksum, row.AppliedAt, row.DurationMs, row.AppliedBy));
        }

        return status.OrderBy(s => s.Version).ToList();
    }

    private List<MigrationScript> Validate(Dictionary<int, HistoryRow> history)
    {
        var status = BuildStatus(history);
        var drifted = status.Where(s => s.State == MigrationState.Drifted).ToList();
        if (drifted.Count > 0)
        {
            var files = string.Join(", ", drifted.Select(d => scripts.Single(s => s.Version == d.Version).FileName));
            throw new MigrationValidationException(
                $"Checksum drift: {files} changed after being applied. Applied migrations are immutable: restore the " +
                "file as it was applied and put the change in a new migration with a higher version.");
        }

        foreach (var unknown in status.Where(s => s.State == MigrationState.Unknown))
        {
            logger.LogWarning(
                "Migration {Version:000}_{Name} is recorded as applied but no such script is here (applied by a newer release?)",
                unknown.Version, unknown.Name);
        }

        var pending = scripts.Where(s => !history.ContainsKey(s.Version)).ToList();
        var highestApplied = history.Count == 0 ? -1 : history.Keys.Max();
        var outOfOrder = pending.Where(s => s.Version < highestApplied).ToList();
        if (outOfOrder.Count > 0)
        {
            throw new MigrationValidationException(
                $"Out of order: {string.Join(", ", outOfOrder.Select(s => s.FileName))} would run after version " +
                $"{highestApplied:000} was already applied. Give the file a version above {highestApplied:000}.");
        }

        return pending;
    }

    private async Task<AppliedMigration> ApplyOneAsync(NpgsqlConnection connection, MigrationScript script, CancellationToken cancellationToken)
    {
        var statements = SqlStatementSplitter.Split(script.Sql);
        if (script.IsTransactional)
        {
            var control = statements.FirstOrDefault(s => IsTransactionControl(s.Text));
            if (control.Text is not null)
            {
                var (line, _) = SqlStatementSplitter.LineAndColumn(script.Sql, control.Offset);
                throw new MigrationValidationException(
                    $"{script.FileName}, line {line}: '{control.Text}'. The runner applies each file in its own transaction; " +
                    $"remove BEGIN/COMMIT, or mark the file '{MigrationScript.NoTransactionDirective}'.");
            }
        }

        logger.LogInformation(
            "Applying {File} ({Count} statements, {Mode})",
            script.FileName, statements.Count, script.IsTransactional ? "transactional" : "non-transactional");
        var stopwatch = Stopwatch.StartNew();
        await using var transaction = script.IsTransactional ? await connection.BeginTransactionAsync(cancellationToken) : null;
        foreach (var statement in statements)
        {
            try
            {
                await using var command = new NpgsqlCommand(statement.Text, connection, transaction);
                await command.ExecuteNonQueryAsync(cancellationToken);
            }
            catch (PostgresException error)
            {
                if (transaction is not null)
                {
                    await transaction.RollbackAsync(CancellationToken.None);
                }

                throw Describe(script, statement, error);
            }
        }

        stopwatch.Stop();
        await using (var record = new NpgsqlCommand(
            $"""
            INSERT INTO {HistoryTable} (version, name, checksum, duration_ms, applied_by, transactional)
            VALUES (@version, @name, @checksum, @duration, current_user || ' (' || @host || ')', @transactional)
            """,
            connection,
            transaction))
        {
            record.Parameters.AddWithValue("version", script.Version);
            record.Parameters.AddWithValue("name", script.Name);
            record.Parameters.AddWithValue("checksum", script.Checksum);
            record.Parameters.AddWithValue("duration", stopwatch.ElapsedMilliseconds);
            record.Parameters.AddWithValue("host", Environment.MachineName);
            record.Parameters.AddWithValue("transactional", script.IsTransactional);
            await record.ExecuteNonQueryAsync(cancellationToken);
        }

        if (transaction is not null)
        {
            await transaction.CommitAsync(cancellationToken);
        }

        logger.LogInformation("Applied {File} in {Elapsed} ms", script.FileName, stopwatch.ElapsedMilliseconds);
        return new AppliedMigration(script, stopwatch.Elapsed);
    }

    private static bool IsTransactionControl(string statement)
    {
        var word = statement.Split((char[]?)null, 2, StringSplitOptions.RemoveEmptyEntries)[0].TrimEnd(';').ToUpperInvariant();
        return word is "BEGIN" or "COMMIT" or "ROLLBACK" or "END" or "START";
    }

    private static MigrationFailedException Describe(MigrationScript script, SqlStatement statement, PostgresException error)
    {
        // Position is 1-based within the statement we sent; map it back to the file.
        var offset = statement.Offset + Math.Max(error.Position - 1, 0);
        var (line, column) = SqlStatementSplitter.LineAndColumn(script.Sql, offset);
        var where = error.InternalPosition > 0 && error.InternalQuery is not null
            ? $" (inside the function body, at character {error.InternalPosition} of: {Truncate(error.InternalQuery)})"
            : string.Empty;
        var context = string.IsNullOrEmpty(error.Where) ? string.Empty : $" Context: {error.Where}.";
        var outcome = script.IsTransactional
            ? "The file was rolled back and is not recorded."
            : "The file is non-transactional: the statements before this one stay applied; it is not recorded, so fix it and run again (its statements must be re-runnable).";
        var message = $"{script.FileName}, line {line}, column {column}: {error.SqlState}: {error.MessageText}{where}.{context} {outcome}";
        return new MigrationFailedException(script, message, error);
    }

    private static string Truncate(string text) => text.Length <= 200 ? text : text[..200] + "…";
}
