namespace Platform.Core;

/// <summary>The Aspire resource and connection-string names every service agrees on.</summary>
public static class ResourceNames
{
    public const string PostgresServer = "postgres";
    public const string Database = "platformdb";
    public const string Cache = "cache";
    public const string Migrations = "migrations";
    public const string Api = "api";
    public const string Workers = "workers";
    public const string StripeCli = "stripe-cli";
}
