using System.Reflection;

namespace Platform.Migrations;

/// <summary>Loads the migration files, ordered by version, from the assembly or from a folder.</summary>
public static class MigrationScriptSource
{
    private const string ResourcePrefix = "Scripts/";

    /// <summary>The scripts compiled into this assembly (<c>Migrations/Scripts/*.sql</c>).</summary>
    public static IReadOnlyList<MigrationScript> Embedded()
    {
        var assembly = typeof(MigrationScriptSource).Assembly;
        var scripts = assembly.GetManifestResourceNames()
            .Where(name => name.StartsWith(ResourcePrefix, StringComparison.Ordinal) && name.EndsWith(".sql", StringComparison.Ordinal))
            .Select(name => MigrationScript.Parse(name[ResourcePrefix.Length..], ReadResource(assembly, name)));
        return Ordered(scripts);
    }

    /// <summary>The <c>*.sql</c> files of a folder (for tests and for operators who ship scripts separately).</summary>
    public static IReadOnlyList<MigrationScript> FromDirectory(string directory)
    {
        if (!Directory.Exists(directory))
        {
            throw new MigrationException($"Scripts folder '{directory}' does not exist.");
        }

        var scripts = Directory.EnumerateFiles(directory, "*.sql")
            .Select(path => MigrationScript.Parse(Path.GetFileName(path), File.ReadAllText(path)));
        return Ordered(scripts);
    }

    public static IReadOnlyList<MigrationScript> Ordered(IEnumerable<MigrationScript> scripts)
    {
        var list = scripts.OrderBy(s => s.Version).ToList();
        var duplicate = list.GroupBy(s => s.Version).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new MigrationValidationException(
                $"Version {duplicate.Key:000} is used by more than one file: {string.Join(", ", duplicate.Select(s => s.FileName))}.");
        }

        return list;
    }

    private static string ReadResource(Assembly assembly, string name)
    {
        using var stream = assembly.GetManifestResourceStream(name)
            ?? throw new MigrationException($"Embedded script '{name}' could not be read.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
