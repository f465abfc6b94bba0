using System.Diagnostics;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Platform.Core.Data;

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
/// An index PostgreSQL will not use (<c>pg_index.indisvalid = false</c>): a <c>CREATE INDEX CONCURRENTLY</c> or
/// <c>REINDEX CONCURRENTLY</c> that failed part-way (or one being built right now). Still maintained on every write.
/// </summary>
/// <param name="Name">schema-qualified, quoted as needed (<c>public.items_name_key</c>).</param>
/// <param name="Table">the table, as <c>regclass</c> prints it (schema only when off the search path).</param>
/// <param name="Definition"><c>pg_get_indexdef</c>.</param>
public sealed record InvalidIndex(string Name, string Table, string Definition);

/// <summary>
/// Applies versioned SQL scripts: a history table with checksums, one runner at a time (a session-level advisory
/// lock, so CREATE INDEX CONCURRENTLY in a non-transactional file cannot wait on our own transaction), each file in
/// its own transaction unless it says <c>-- migrate:no-transaction</c>, edited files refused, failures rolled back and
/// reported with the file, line and column.
/// </summary>
public sealed partial class MigrationRunner
{
    public const string HistoryTable = SchemaVersion.HistoryTable;

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

    /// <summary>Every invalid index of the database (outside the system schemas), by name. Reads only; takes no lock.</summary>
    public async Task<IReadOnlyList<InvalidIndex>> InvalidIndexesAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken);
        return await ReadInvalidIndexesAsync(connection, cancellationToken);
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
        var statements = StatementsToRun(script);
        logger.LogInformation(
            "Applying {File} ({Count} statements, {Mode})",
            script.FileName, statements.Count, script.IsTransactional ? "transactional" : "non-transactional");
        var stopwatch = Stopwatch.StartNew();
        HashSet<string> invalidBefore = [];
        if (!script.IsTransactional)
        {
            await DropInvalidIndexesOfEarlierAttemptsAsync(connection, script, statements, cancellationToken);
            invalidBefore = (await ReadInvalidIndexesAsync(connection, cancellationToken)).Select(i => i.Name).ToHashSet();
        }

        await using var transaction = script.IsTransactional ? await connection.BeginTransactionAsync(cancellationToken) : null;
        foreach (var statement in statements)
        {
            try
            {
                await using var command = new NpgsqlCommand(statement.Text, connection, transaction);
                // One positional parameter puts Npgsql in raw mode: the statement is sent exactly as split here. Otherwise
                // Npgsql's own parser splits on every semicolon it sees, inside BEGIN ATOMIC ... END too (npgsql#4445).
                // The statement does not reference it; PostgreSQL accepts an unused, typed parameter.
                command.Parameters.Add(new NpgsqlParameter { Value = 0 });
                await command.ExecuteNonQueryAsync(cancellationToken);
            }
            catch (PostgresException error)
            {
                if (transaction is not null)
                {
                    await transaction.RollbackAsync(CancellationToken.None);
                }

                var leftInvalid = transaction is null
                    ? (await ReadInvalidIndexesAsync(connection, CancellationToken.None)).Where(i => !invalidBefore.Contains(i.Name)).ToList()
                    : [];
                throw Describe(script, statement, error, leftInvalid);
            }
        }

        if (!script.IsTransactional)
        {
            // IF NOT EXISTS skips an index that exists but is invalid, and a failed build can leave one without an error
            // reaching us: never record a file over an invalid index it left behind.
            var leftInvalid = (await ReadInvalidIndexesAsync(connection, cancellationToken)).Where(i => !invalidBefore.Contains(i.Name)).ToList();
            if (leftInvalid.Count > 0)
            {
                throw new MigrationInvalidIndexException(script,
                    $"{script.FileName} ran, but left {Describe(leftInvalid)} invalid (pg_index.indisvalid = false): PostgreSQL does not use " +
                    "it, yet maintains it on every write. The file is not recorded. Drop it (DROP INDEX CONCURRENTLY ...), fix the cause, " +
                    "and run apply again.");
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

    /// <summary>
    /// The statements to send. The runner owns the transaction, so transaction control is refused, with one exception:
    /// a transactional file whose only transaction control is one leading <c>BEGIN;</c> (or <c>BEGIN WORK</c>/
    /// <c>BEGIN TRANSACTION</c>/<c>START TRANSACTION</c>, without options) and one trailing <c>COMMIT;</c> (or
    /// <c>END</c>, optionally <c>WORK</c>/<c>TRANSACTION</c>): the seed's migration template. Those two are dropped and
    /// the rest runs in the runner's transaction as usual.
    /// </summary>
    private static List<SqlStatement> StatementsToRun(MigrationScript script)
    {
        var statements = SqlStatementSplitter.Split(script.Sql).ToList();
        var wrapped = script.IsTransactional && statements.Count >= 2 && PlainBegin().IsMatch(Words(statements[0].Text));
        var closed = wrapped && PlainCommit().IsMatch(Words(statements[^1].Text));
        for (var k = 0; k < statements.Count; k++)
        {
            var allowed = (k == 0 && wrapped) || (k == statements.Count - 1 && closed);
            if (!allowed && IsTransactionControl(statements[k].Text))
            {
                throw TransactionControlRefused(script, statements[k]);
            }
        }

        if (wrapped && !closed)
        {
            throw TransactionControlRefused(script, statements[0]);
        }

        return wrapped ? statements[1..^1] : statements;
    }

    private static MigrationValidationException TransactionControlRefused(MigrationScript script, SqlStatement control)
    {
        var (line, _) = SqlStatementSplitter.LineAndColumn(script.Sql, control.Offset);
        var remedy = script.IsTransactional
            ? "The runner applies each file in its own transaction: remove the transaction control (only one leading BEGIN; " +
              "with one trailing COMMIT; around the whole file is accepted)."
            : $"A '{MigrationScript.NoTransactionDirective}' file runs each statement on its own: remove the transaction control.";
        return new MigrationValidationException($"{script.FileName}, line {line}: '{Truncate(control.Text)}'. {remedy}");
    }

    /// <summary>The statement's words in upper case, single-spaced (comments are not expected inside transaction control).</summary>
    private static string Words(string statement) =>
        string.Join(' ', statement.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)).ToUpperInvariant();

    private static bool IsTransactionControl(string statement)
    {
        var words = Words(statement);
        var first = LeadingWord().Match(words).Value;
        return first is "BEGIN" or "START" or "COMMIT" or "END" or "ROLLBACK" or "ABORT" or "SAVEPOINT" or "RELEASE"
            || words.StartsWith("PREPARE TRANSACTION", StringComparison.Ordinal);
    }

    /// <summary>
    /// A failed <c>CREATE INDEX CONCURRENTLY</c> leaves its index behind, invalid; <c>IF NOT EXISTS</c> would then skip it
    /// forever. Before a non-transactional file runs again, the invalid indexes it creates by name are dropped, so the
    /// file builds them anew.
    /// </summary>
    private async Task DropInvalidIndexesOfEarlierAttemptsAsync(
        NpgsqlConnection connection, MigrationScript script, IReadOnlyList<SqlStatement> statements, CancellationToken cancellationToken)
    {
        foreach (var statement in statements)
        {
            var match = ConcurrentIndexCreation().Match(statement.Text);
            if (!match.Success)
            {
                continue;
            }

            await using var find = new NpgsqlCommand(
                """
                SELECT format('%I.%I', n.nspname, c.relname)
                FROM pg_index i
                JOIN pg_class c ON c.oid = i.indexrelid
                JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE NOT i.indisvalid AND i.indrelid = to_regclass(@table) AND c.relname = @name
                """,
                connection);
            find.Parameters.AddWithValue("table", match.Groups["table"].Value);
            find.Parameters.AddWithValue("name", IdentifierValue(match.Groups["name"].Value));
            if (await find.ExecuteScalarAsync(cancellationToken) is not string index)
            {
                continue;
            }

            logger.LogWarning(
                "{File}: index {Index} is invalid (left by an earlier failed attempt); dropping it so the file builds it again", script.FileName, index);
            await using var drop = new NpgsqlCommand($"DROP INDEX CONCURRENTLY IF EXISTS {index}", connection);
            await drop.ExecuteNonQueryAsync(cancellationToken);
        }
    }

    private static async Task<List<InvalidIndex>> ReadInvalidIndexesAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            """
            SELECT format('%I.%I', n.nspname, c.relname), i.indrelid::regclass::text, pg_get_indexdef(i.indexrelid)
            FROM pg_index i
            JOIN pg_class c ON c.oid = i.indexrelid
            JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE NOT i.indisvalid AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\_toast%'
            ORDER BY 1
            """,
            connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var indexes = new List<InvalidIndex>();
        while (await reader.ReadAsync(cancellationToken))
        {
            indexes.Add(new InvalidIndex(reader.GetString(0), reader.GetString(1), reader.GetString(2)));
        }

        return indexes;
    }

    private static string Describe(IReadOnlyList<InvalidIndex> indexes) =>
        (indexes.Count == 1 ? "index " : "indexes ") + string.Join(", ", indexes.Select(i => i.Name));

    /// <summary>An identifier as PostgreSQL stores it: "Quoted" keeps its case ("" is a quote), unquoted folds to lower case.</summary>
    private static string IdentifierValue(string identifier) =>
        identifier.StartsWith('"') ? identifier[1..^1].Replace("\"\"", "\"", StringComparison.Ordinal) : identifier.ToLowerInvariant();

    [GeneratedRegex(@"^[A-Z_]+")]
    private static partial Regex LeadingWord();

    [GeneratedRegex(@"^(BEGIN( WORK| TRANSACTION)?|START TRANSACTION)$")]
    private static partial Regex PlainBegin();

    [GeneratedRegex(@"^(COMMIT|END)( WORK| TRANSACTION)?$")]
    private static partial Regex PlainCommit();

    /// <summary>CREATE [UNIQUE] INDEX CONCURRENTLY [IF NOT EXISTS] name ON [ONLY] [schema.]table (PostgreSQL's grammar).</summary>
    [GeneratedRegex(
        """^CREATE\s+(?:UNIQUE\s+)?INDEX\s+CONCURRENTLY\s+(?:IF\s+NOT\s+EXISTS\s+)?(?<name>"(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_$]*)\s+ON\s+(?:ONLY\s+)?(?<table>(?:"(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_$]*)(?:\s*\.\s*(?:"(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_$]*))?)""",
        RegexOptions.IgnoreCase)]
    private static partial Regex ConcurrentIndexCreation();

    private static MigrationFailedException Describe(
        MigrationScript script, SqlStatement statement, PostgresException error, IReadOnlyList<InvalidIndex> leftInvalid)
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
        var invalid = leftInvalid.Count == 0
            ? string.Empty
            : $" It left {Describe(leftInvalid)} invalid (pg_index.indisvalid = false); the next apply drops an invalid index the file " +
              "creates by name (CREATE INDEX CONCURRENTLY name) before running it again.";
        var message = $"{script.FileName}, line {line}, column {column}: {error.SqlState}: {error.MessageText}{where}.{context} {outcome}{invalid}";
        return new MigrationFailedException(script, message, error);
    }

    /// <summary>At most 200 characters with the ellipsis, cut at a text-element boundary (never inside a surrogate pair).</summary>
    private static string Truncate(string text) => PostgresText.Truncate(text, 200, "…")!;
}
