namespace Platform.Migrations.Tests;

/// <summary>A temporary folder of migration files, for tests that need scripts other than the real ones.</summary>
internal sealed class ScriptFolder : IDisposable
{
    public ScriptFolder()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "platform-scripts-" + Guid.NewGuid().ToString("N")[..10]);
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public ScriptFolder Write(string fileName, string sql)
    {
        File.WriteAllText(System.IO.Path.Combine(Path, fileName), sql);
        return this;
    }

    public IReadOnlyList<MigrationScript> Load() => MigrationScriptSource.FromDirectory(Path);

    public void Dispose() => Directory.Delete(Path, recursive: true);
}
