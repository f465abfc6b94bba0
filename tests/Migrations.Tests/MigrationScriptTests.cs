namespace Platform.Migrations.Tests;

public class MigrationScriptTests
{
    [Fact]
    public void Parses_version_and_name_from_the_file_name()
    {
        var script = MigrationScript.Parse("002_async_job_queue.sql", "SELECT 1;");

        Assert.Equal(2, script.Version);
        Assert.Equal("async_job_queue", script.Name);
        Assert.True(script.IsTransactional);
    }

    [Theory]
    [InlineData("2_short.sql")]
    [InlineData("002-dash.sql")]
    [InlineData("002_Upper.sql")]
    [InlineData("002_name.txt")]
    public void Refuses_names_that_do_not_follow_the_convention(string fileName)
    {
        var error = Assert.Throws<MigrationException>(() => MigrationScript.Parse(fileName, "SELECT 1;"));
        Assert.Contains(fileName, error.Message);
    }

    [Fact]
    public void Checksum_ignores_line_ending_style_but_not_content()
    {
        var unix = MigrationScript.Parse("001_a.sql", "SELECT 1;\nSELECT 2;\n");
        var windows = MigrationScript.Parse("001_a.sql", "\uFEFFSELECT 1;\r\nSELECT 2;\r\n");
        var edited = MigrationScript.Parse("001_a.sql", "SELECT 1;\nSELECT 3;\n");

        Assert.Equal(unix.Checksum, windows.Checksum);
        Assert.NotEqual(unix.Checksum, edited.Checksum);
    }

    [Fact]
    public void The_directive_line_makes_a_file_non_transactional()
    {
        var script = MigrationScript.Parse("003_index.sql", "-- Migration: index\n-- migrate:no-transaction\nCREATE INDEX CONCURRENTLY i ON t (x);");

        Assert.False(script.IsTransactional);
    }

    [Fact]
    public void Two_files_with_one_version_are_refused()
    {
        var error = Assert.Throws<MigrationValidationException>(() => MigrationScriptSource.Ordered(
            [MigrationScript.Parse("001_a.sql", "SELECT 1"), MigrationScript.Parse("001_b.sql", "SELECT 2")]));

        Assert.Contains("001_a.sql", error.Message);
        Assert.Contains("001_b.sql", error.Message);
    }

    [Fact]
    public void The_embedded_scripts_are_000_to_002_named_as_in_the_seed()
    {
        var scripts = MigrationScriptSource.Embedded();

        Assert.Equal(
            ["000_initial_schema.sql", "001_phase1_discovery_platform.sql", "002_async_job_queue.sql"],
            scripts.Take(3).Select(s => s.FileName));
        // Strictly increasing; a version reserved by a branch that did not need it leaves a gap.
        Assert.All(scripts.Zip(scripts.Skip(1)), pair => Assert.True(pair.First.Version < pair.Second.Version));
        Assert.All(scripts, s => Assert.True(s.IsTransactional, $"{s.FileName} should be transactional"));
    }
}

public class SchemaVersionTests
{
    [Fact]
    public void The_services_expect_exactly_the_migrations_embedded_in_the_runner()
    {
        var embedded = MigrationScriptSource.Embedded();

        Assert.Equal(embedded.Select(s => Path.GetFileNameWithoutExtension(s.FileName)), Platform.Core.Data.SchemaVersion.Scripts);
        Assert.Equal(embedded.Max(s => s.Version), Platform.Core.Data.SchemaVersion.Required);
        Assert.Equal(Platform.Core.Data.SchemaVersion.HistoryTable, MigrationRunner.HistoryTable);
    }
}
