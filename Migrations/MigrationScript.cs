using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace Platform.Migrations;

/// <summary>One versioned SQL file, <c>NNN_description.sql</c>.</summary>
public sealed partial record MigrationScript
{
    /// <summary>A line with exactly this text makes the runner apply the file outside a transaction
    /// (for <c>CREATE INDEX CONCURRENTLY</c> and friends); such a file must be safe to re-run.</summary>
    public const string NoTransactionDirective = "-- migrate:no-transaction";

    private MigrationScript(int version, string name, string fileName, string sql)
    {
        Version = version;
        Name = name;
        FileName = fileName;
        Sql = sql;
        Checksum = ComputeChecksum(sql);
        IsTransactional = !sql.Split('\n').Any(line => line.Trim().Equals(NoTransactionDirective, StringComparison.OrdinalIgnoreCase));
    }

    public int Version { get; }
    public string Name { get; }
    public string FileName { get; }
    public string Sql { get; }

    /// <summary>SHA-256 of the text with line endings normalised, so a Windows checkout does not drift.</summary>
    public string Checksum { get; }

    public bool IsTransactional { get; }

    public static MigrationScript Parse(string fileName, string sql)
    {
        var match = FileNamePattern().Match(fileName);
        if (!match.Success)
        {
            throw new MigrationException(
                $"'{fileName}' is not a migration file name: expected NNN_description.sql (digits, underscore, lowercase description).");
        }

        return new MigrationScript(int.Parse(match.Groups["version"].Value), match.Groups["name"].Value, fileName, Normalize(sql));
    }

    internal static string Normalize(string sql) => sql.TrimStart('\uFEFF').Replace("\r\n", "\n");

    private static string ComputeChecksum(string normalizedSql) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(normalizedSql)));

    [GeneratedRegex(@"^(?<version>\d{3,})_(?<name>[a-z0-9][a-z0-9_]*)\.sql$")]
    private static partial Regex FileNamePattern();
}
