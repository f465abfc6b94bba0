namespace Platform.Migrations;

/// <summary>A migration problem the operator must act on; the message says what and where.</summary>
public class MigrationException(string message, Exception? inner = null) : Exception(message, inner)
{
    /// <summary>Process exit code for this kind of problem.</summary>
    public virtual int ExitCode => 1;
}

/// <summary>The scripts and the database's history disagree (an applied file was edited, or a file arrived out of order).</summary>
public sealed class MigrationValidationException(string message) : MigrationException(message)
{
    public override int ExitCode => 3;
}

/// <summary>A file failed; its transaction was rolled back and nothing was recorded.</summary>
public sealed class MigrationFailedException(MigrationScript script, string message, Exception inner)
    : MigrationException(message, inner)
{
    public MigrationScript Script { get; } = script;
}

/// <summary>
/// A non-transactional file ran but left an index invalid (<c>pg_index.indisvalid = false</c>, e.g. a
/// <c>CREATE INDEX CONCURRENTLY</c> that failed part-way); the file is not recorded. Exit code 1, like a failed file.
/// </summary>
public sealed class MigrationInvalidIndexException(MigrationScript script, string message) : MigrationException(message)
{
    public MigrationScript Script { get; } = script;
}
