using System.Collections.Concurrent;
using System.Diagnostics;
using Npgsql;

namespace Platform.TestSupport;

/// <summary>
/// Counts the SQL commands the real Npgsql driver sends to one test database, from the driver's own tracing
/// (ActivitySource <c>Npgsql</c>): a count at the client boundary, against the real server, with nothing mocked. Only
/// commands on <paramref name="connectionString"/>'s database whose text contains <paramref name="marker"/> count (test
/// classes run in parallel, each on its own database).
/// </summary>
public sealed class SqlCommandCounter : IDisposable
{
    private readonly ActivityListener listener;
    private readonly ConcurrentQueue<string> statements = new();
    private readonly string database;
    private readonly string marker;

    public SqlCommandCounter(string connectionString, string marker)
    {
        database = new NpgsqlConnectionStringBuilder(connectionString).Database!;
        this.marker = marker;
        listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == "Npgsql",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = OnStopped,
        };
        ActivitySource.AddActivityListener(listener);
    }

    /// <summary>Matching commands since the start or the last <see cref="Reset"/>.</summary>
    public int Count => statements.Count;

    /// <summary>The matching commands' text, oldest first.</summary>
    public IEnumerable<string> Statements => statements;

    public void Reset() => statements.Clear();

    private void OnStopped(Activity activity)
    {
        string? statement = null;
        var onDatabase = false;
        foreach (var (_, value) in activity.TagObjects)
        {
            if (value is not string text)
            {
                continue;
            }

            onDatabase |= text == database;
            if (text.Contains(marker, StringComparison.Ordinal))
            {
                statement = text;
            }
        }

        if (onDatabase && statement is not null)
        {
            statements.Enqueue(statement);
        }
    }

    public void Dispose() => listener.Dispose();
}
