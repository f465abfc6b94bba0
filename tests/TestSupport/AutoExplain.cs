using Npgsql;

namespace Platform.TestSupport;

/// <summary>
/// PostgreSQL's <c>auto_explain</c> module (https://www.postgresql.org/docs/current/auto-explain.html) on one
/// connection: every statement it runs from then on, nested ones inside functions included, has its plan sent back as a
/// NOTICE, collected into the returned list. How the plan-pinning tests see what a SQL function really executes.
/// </summary>
public static class AutoExplain
{
    /// <param name="analyze">Also run-time figures (<c>log_analyze</c>: actual rows, loops, buffers read).</param>
    public static async Task<List<string>> EnableAsync(NpgsqlConnection connection, bool analyze = false)
    {
        var plans = new List<string>();
        connection.Notice += (_, e) => plans.Add(e.Notice.MessageText);
        await using var setup = new NpgsqlCommand(
            $"""
            LOAD 'auto_explain';
            SET auto_explain.log_min_duration = 0;
            SET auto_explain.log_nested_statements = on;
            SET auto_explain.log_analyze = {(analyze ? "on" : "off")};
            SET auto_explain.log_level = notice;
            SET client_min_messages = notice;
            """, connection);
        await setup.ExecuteNonQueryAsync();
        return plans;
    }
}
