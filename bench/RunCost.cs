using System.Diagnostics;
using System.Text.Json.Nodes;
using Npgsql;

namespace Platform.Bench;

/// <summary>
/// What a stretch of a bench costs, independent of how busy the machine is: CPU time of this process (the Workers
/// engine runs in it) and of the PostgreSQL server, bytes allocated by this process, WAL bytes written, and top-level
/// statements with their server time. Taken as a snapshot before and after; <see cref="PerJob"/> prints the difference
/// per job (CPU in ms per 1,000 jobs). The server's CPU needs <c>BENCH_PG_PID</c> (the postmaster's process id, first
/// line of <c>postmaster.pid</c>; the server on this machine): the postmaster and its live children from
/// <c>/proc/&lt;pid&gt;/stat</c> (utime + stime, plus cutime + cstime of the postmaster for backends that exited).
/// Statements need the <c>pg_stat_statements</c> library preloaded (<c>shared_preload_libraries</c>); without either, those
/// fields are left out.
/// </summary>
public sealed record RunCost(TimeSpan ProcessCpu, long AllocatedBytes, double? ServerCpuMs, long WalLsn, long? Statements, double? StatementMs)
{
    private static readonly int? ServerPid = int.TryParse(Environment.GetEnvironmentVariable("BENCH_PG_PID"), out var pid) ? pid : null;

    /// <summary>Creates <c>pg_stat_statements</c> in the bench database when the server has the library loaded.</summary>
    public static async Task EnableStatementsAsync(NpgsqlDataSource dataSource)
    {
        try
        {
            await using var command = dataSource.CreateCommand("CREATE EXTENSION IF NOT EXISTS pg_stat_statements");
            await command.ExecuteNonQueryAsync();
        }
        catch (PostgresException)
        {
            // Not loaded on this server: statements are not counted.
        }
    }

    public static async Task<RunCost> TakeAsync(NpgsqlDataSource dataSource)
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        long? statements = null;
        double? statementMs = null;
        try
        {
            await using var read = new NpgsqlCommand(
                """
                SELECT coalesce(sum(calls), 0)::bigint, coalesce(sum(total_exec_time), 0)::float8
                FROM pg_stat_statements WHERE toplevel AND dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
                """, connection);
            await using var reader = await read.ExecuteReaderAsync();
            await reader.ReadAsync();
            (statements, statementMs) = (reader.GetInt64(0), reader.GetDouble(1));
        }
        catch (PostgresException)
        {
            // pg_stat_statements not there.
        }

        await using var wal = new NpgsqlCommand("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::bigint", connection);
        var lsn = (long)(await wal.ExecuteScalarAsync())!;
        return new RunCost(Process.GetCurrentProcess().TotalProcessorTime, GC.GetTotalAllocatedBytes(precise: true),
            ServerCpu(), lsn, statements, statementMs);
    }

    /// <summary>The cost of the stretch from <paramref name="before"/> to this snapshot, per job.</summary>
    public JsonObject PerJob(RunCost before, long jobs)
    {
        var costs = new JsonObject
        {
            ["process_cpu_ms_per_1k"] = Math.Round((ProcessCpu - before.ProcessCpu).TotalMilliseconds * 1000 / jobs, 1),
            ["alloc_bytes_per_job"] = (AllocatedBytes - before.AllocatedBytes) / jobs,
            ["wal_bytes_per_job"] = (WalLsn - before.WalLsn) / jobs,
        };
        if (ServerCpuMs is { } server && before.ServerCpuMs is { } serverBefore)
        {
            costs["server_cpu_ms_per_1k"] = Math.Round((server - serverBefore) * 1000 / jobs, 1);
        }

        if (Statements is { } calls && before.Statements is { } callsBefore)
        {
            // Less the snapshot's own two statements.
            costs["statements_per_1k"] = Math.Round((calls - callsBefore - 2) * 1000.0 / jobs, 1);
            costs["statement_ms_per_1k"] = Math.Round((StatementMs!.Value - before.StatementMs!.Value) * 1000 / jobs, 1);
        }

        return costs;
    }

    private static double? ServerCpu()
    {
        if (ServerPid is not { } postmaster)
        {
            return null;
        }

        var ticks = 0L;
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), out var pid))
            {
                continue;
            }

            try
            {
                var stat = File.ReadAllText(Path.Combine(directory, "stat"));
                // Fields after the command (which may hold spaces) start after the last ')': state ppid ... utime(14) stime(15) cutime(16) cstime(17).
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                var parent = int.Parse(fields[1]);
                if (pid == postmaster)
                {
                    ticks += long.Parse(fields[11]) + long.Parse(fields[12]) + long.Parse(fields[13]) + long.Parse(fields[14]);
                }
                else if (parent == postmaster)
                {
                    ticks += long.Parse(fields[11]) + long.Parse(fields[12]);
                }
            }
            catch (Exception error) when (error is IOException or UnauthorizedAccessException or FormatException)
            {
                // The process ended while we looked, or is not ours to read.
            }
        }

        return ticks * 10.0; // USER_HZ is 100 on Linux: 10 ms a tick
    }
}
