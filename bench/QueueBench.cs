using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Text.Json.Nodes;
using Marten;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using NpgsqlTypes;
using Platform.Core.Audit;
using Platform.Core.Jobs;
using Platform.Core.Jobs.Args;
using Platform.Workers.Audit;
using Platform.Workers.Queue;

namespace Platform.Bench;

/// <summary>
/// <c>queue [--jobs N]</c>: our queue on a fresh database: batched enqueue (create_jobs_bulk, 1,000 per statement, raw;
/// and through the typed client API, <see cref="JobQueueClient.EnqueueManyAsync"/>, 1,000 <see cref="EchoArgs"/> per
/// call, as the syncs enqueue), no-op processing by one Workers engine in-process (with and without the audit projection), and enqueue→start
/// latency when idle.
/// </summary>
public static class QueueBench
{
    private const int EnqueueBatch = 1000;

    public static async Task RunAsync(string serverConnectionString, int jobs, int history = 0)
    {
        // BENCH_QUEUE_AUDIT_ONLY=1 runs the audited mode alone (measuring the audit trail's cost).
        var auditOnly = Environment.GetEnvironmentVariable("BENCH_QUEUE_AUDIT_ONLY") is "1";
        // BENCH_QUEUE_ENQUEUE_ONLY=1 runs the two enqueue lines alone (typed, then raw), with no processing.
        var enqueueOnly = Environment.GetEnvironmentVariable("BENCH_QUEUE_ENQUEUE_ONLY") is "1";
        if (!auditOnly)
        {
            await RunTypedEnqueueAsync(serverConnectionString, jobs);
        }

        foreach (var audit in auditOnly ? new[] { true } : [false, true])
        {
            await using var database = await BenchDatabase.CreateAsync(serverConnectionString, audit ? "queue_audit" : "queue");
            var system = BenchReport.System(database.ServerVersion);
            await using var dataSource = NpgsqlDataSource.Create(database.ConnectionString);
            await RunCost.EnableStatementsAsync(dataSource);

            var beforeEnqueue = await RunCost.TakeAsync(dataSource);
            var enqueueSeconds = await EnqueueAsync(dataSource, jobs);
            var afterEnqueue = await RunCost.TakeAsync(dataSource);
            if (!audit)
            {
                BenchReport.Print("queue.enqueue", system, new JsonObject
                {
                    ["jobs"] = jobs,
                    ["batch"] = EnqueueBatch,
                    ["per_s"] = Math.Round(jobs / enqueueSeconds),
                    ["cost"] = afterEnqueue.PerJob(beforeEnqueue, jobs),
                });
            }

            if (enqueueOnly)
            {
                return;
            }

            using var host = BuildWorkersHost(database.ConnectionString, audit);
            // Count completions as the engine reports them (its meter), so watching costs the database nothing.
            var completed = 0L;
            using var meters = new MeterListener
            {
                InstrumentPublished = (instrument, listener) =>
                {
                    if (instrument.Meter.Name == QueueMetrics.Name && instrument.Name == "jobs.completed")
                    {
                        listener.EnableMeasurementEvents(instrument);
                    }
                },
            };
            meters.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref completed, value));
            meters.Start();
            var beforeProcess = await RunCost.TakeAsync(dataSource);
            var stopwatch = Stopwatch.StartNew();
            await host.StartAsync();
            await WaitUntilAsync(() => Task.FromResult(Interlocked.Read(ref completed) >= jobs));
            var processed = stopwatch.Elapsed.TotalSeconds;
            var afterProcess = await RunCost.TakeAsync(dataSource);
            if (await ScalarAsync(dataSource, "SELECT count(*) FROM job_queue WHERE status = 'completed'") != jobs)
            {
                throw new InvalidOperationException("The meter and the database disagree on how many jobs completed.");
            }
            if (audit)
            {
                var lastLogId = await ScalarAsync(dataSource, "SELECT coalesce(max(id), 0) FROM job_log");
                var store = host.Services.GetRequiredService<IDocumentStore>();
                await WaitUntilAsync(async () =>
                {
                    await using var session = store.QuerySession();
                    var checkpoint = await session.LoadAsync<AuditCheckpoint>(JobAuditProjector.Checkpoint);
                    return checkpoint?.LastLogId >= lastLogId;
                });
            }

            var total = stopwatch.Elapsed.TotalSeconds;
            var afterAll = audit ? await RunCost.TakeAsync(dataSource) : afterProcess;
            // Marten event rows written per job (each costs the server an mt_events row, its index entries and key check).
            var auditEvents = audit ? await ScalarAsync(dataSource, $"SELECT count(*) FROM {AuditStore.Schema}.mt_events") : 0;
            BenchReport.Print("queue.process", system, new JsonObject
            {
                ["audit"] = audit,
                ["jobs"] = jobs,
                ["per_s"] = Math.Round(jobs / total),
                ["processing_per_s"] = Math.Round(jobs / processed),
                ["seconds"] = Math.Round(total, 2),
                // Until every job completed; with the audit on, the projection's share until then is in it too.
                ["cost"] = afterProcess.PerJob(beforeProcess, jobs),
                ["cost_until_projected"] = audit ? afterAll.PerJob(beforeProcess, jobs) : null,
                ["audit_events_per_job"] = audit ? Math.Round((double)auditEvents / jobs, 3) : null,
            });
            if (Environment.GetEnvironmentVariable("BENCH_STATEMENTS") is "1")
            {
                await PrintTopStatementsAsync(dataSource, system, audit, jobs);
            }

            if (!audit)
            {
                var latencies = await MeasureLatencyAsync(dataSource, 300);
                PrintLatency(system, latencies, jobs);
                if (history > 0)
                {
                    // Claim latency with a long history of finished jobs in the table (the claim index holds only pending).
                    await AddFinishedHistoryAsync(dataSource, history);
                    PrintLatency(system, await MeasureLatencyAsync(dataSource, 300), jobs + history);
                }
            }

            await host.StopAsync();
        }
    }

    private static void PrintLatency(string system, List<double> latencies, long finishedInTable) =>
        BenchReport.Print("queue.latency_ms", system, new JsonObject
        {
            ["jobs"] = latencies.Count,
            ["finished_jobs_in_table"] = finishedInTable,
            ["p50"] = Math.Round(BenchReport.Percentile(latencies, 50), 2),
            ["p99"] = Math.Round(BenchReport.Percentile(latencies, 99), 2),
            ["max"] = Math.Round(latencies.Max(), 2),
        });

    private static async Task AddFinishedHistoryAsync(NpgsqlDataSource dataSource, int rows)
    {
        for (var done = 0; done < rows; done += 500_000)
        {
            await using var insert = dataSource.CreateCommand(
                """
                INSERT INTO job_queue (job_type, payload, status, attempts, progress, result, started_at, completed_at, created_at)
                SELECT 'echo', '{}'::jsonb, 'completed', 1, 100, '{}'::jsonb, t, t, t
                FROM (SELECT now() - make_interval(secs => g) AS t FROM generate_series(1, @n) g) s
                """);
            insert.Parameters.AddWithValue("n", Math.Min(500_000, rows - done));
            insert.CommandTimeout = 0;
            await insert.ExecuteNonQueryAsync();
        }

        await using var analyze = dataSource.CreateCommand("VACUUM ANALYZE job_queue");
        analyze.CommandTimeout = 0;
        await analyze.ExecuteNonQueryAsync();
    }

    private static IHost BuildWorkersHost(string connectionString, bool audit)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { EnvironmentName = "Production" });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Workers:Queues:default"] = "64",
            ["Workers:ClaimBatchSize"] = "500",
            ["Workers:CompletionBatchSize"] = "1000",
            ["Workers:Prefetch"] = "500",
        });
        builder.Configuration.AddEnvironmentVariables(); // e.g. Workers__Prefetch=1000 to try other settings
        builder.Logging.ClearProviders();
        if (Environment.GetEnvironmentVariable("BENCH_LOG") is "1")
        {
            builder.Logging.AddSimpleConsole().SetMinimumLevel(LogLevel.Warning); // the engine's warnings, when diagnosing
        }

        builder.Services.AddSingleton(_ => NpgsqlDataSource.Create(connectionString));
        builder.AddJobQueue();
        if (audit)
        {
            builder.AddJobAudit();
        }

        return builder.Build();
    }

    private static async Task<double> EnqueueAsync(NpgsqlDataSource dataSource, int jobs)
    {
        var payloads = Enumerable.Repeat("{}", EnqueueBatch).ToArray();
        var stopwatch = Stopwatch.StartNew();
        for (var done = 0; done < jobs; done += EnqueueBatch)
        {
            var size = Math.Min(EnqueueBatch, jobs - done);
            await using var command = dataSource.CreateCommand("SELECT create_jobs_bulk(NULL, 'echo', @payloads)");
            command.Parameters.Add(new NpgsqlParameter("payloads", NpgsqlDbType.Array | NpgsqlDbType.Jsonb)
            {
                Value = size == EnqueueBatch ? payloads : payloads[..size],
            });
            await command.ExecuteScalarAsync();
        }

        return stopwatch.Elapsed.TotalSeconds;
    }

    /// <summary>
    /// <c>queue.enqueue_typed</c>: the enqueue the application code uses, on its own fresh database: batches of 1,000
    /// <see cref="EchoArgs"/> values (built per batch, as a caller builds them) through
    /// <see cref="JobQueueClient.EnqueueManyAsync"/> on an open connection, one batch after the other (graphile-worker's
    /// <c>addJobs</c> in <c>peer-graphile</c> takes the same batches).
    /// </summary>
    private static async Task RunTypedEnqueueAsync(string serverConnectionString, int jobs)
    {
        await using var database = await BenchDatabase.CreateAsync(serverConnectionString, "queue_typed");
        await using var dataSource = NpgsqlDataSource.Create(database.ConnectionString);
        await RunCost.EnableStatementsAsync(dataSource);
        await using var connection = await dataSource.OpenConnectionAsync();
        await JobQueueClient.EnqueueManyAsync(connection, null, [new EchoArgs()]); // warm-up (JIT, statement), not counted
        // BENCH_TYPED_WARMUP=N: N more untimed batches of 1,000 first (separates the JIT's share of the client CPU).
        var warmups = int.TryParse(Environment.GetEnvironmentVariable("BENCH_TYPED_WARMUP"), out var n) ? n : 0;
        for (var w = 0; w < warmups; w++)
        {
            await JobQueueClient.EnqueueManyAsync(connection, null, Enumerable.Range(0, EnqueueBatch).Select(_ => (IJobArgs)new EchoArgs()).ToArray());
        }

        var before = await RunCost.TakeAsync(dataSource);
        var stopwatch = Stopwatch.StartNew();
        var created = 0;
        for (var done = 0; done < jobs; done += EnqueueBatch)
        {
            var batch = new IJobArgs[Math.Min(EnqueueBatch, jobs - done)];
            for (var i = 0; i < batch.Length; i++)
            {
                batch[i] = new EchoArgs();
            }

            created += await JobQueueClient.EnqueueManyAsync(connection, null, batch);
        }

        var seconds = stopwatch.Elapsed.TotalSeconds;
        var after = await RunCost.TakeAsync(dataSource);
        if (created != jobs)
        {
            throw new InvalidOperationException($"EnqueueManyAsync created {created} of {jobs} jobs.");
        }

        BenchReport.Print("queue.enqueue_typed", BenchReport.System(database.ServerVersion), new JsonObject
        {
            ["jobs"] = jobs,
            ["batch"] = EnqueueBatch,
            ["per_s"] = Math.Round(jobs / seconds),
            ["cost"] = after.PerJob(before, jobs),
        });
    }

    /// <summary>One job at a time into an idle, running queue: started_at − created_at (both the server's clock).</summary>
    private static async Task<List<double>> MeasureLatencyAsync(NpgsqlDataSource dataSource, int samples)
    {
        var latencies = new List<double>(samples);
        for (var i = 0; i < samples; i++)
        {
            await using var create = dataSource.CreateCommand("SELECT id FROM create_job(NULL, 'echo', '{}'::jsonb)");
            var id = (Guid)(await create.ExecuteScalarAsync())!;
            double? latency = null;
            while (latency is null)
            {
                await using var read = dataSource.CreateCommand(
                    "SELECT extract(epoch FROM (started_at - created_at)) * 1000 FROM job_queue WHERE id = @id AND started_at IS NOT NULL");
                read.Parameters.AddWithValue("id", id);
                latency = await read.ExecuteScalarAsync() is decimal value ? (double)value : null;
                if (latency is null)
                {
                    await Task.Delay(1);
                }
            }

            latencies.Add(latency.Value);
            await Task.Delay(10);
        }

        return latencies;
    }

    /// <summary>The statements that cost the server most in this database (needs pg_stat_statements), per 1,000 jobs.</summary>
    private static async Task PrintTopStatementsAsync(NpgsqlDataSource dataSource, string system, bool audit, long jobs)
    {
        await using var command = dataSource.CreateCommand(
            """
            SELECT left(regexp_replace(query, '\s+', ' ', 'g'), 120), toplevel, calls, total_exec_time, rows
            FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
            ORDER BY total_exec_time DESC LIMIT 12
            """);
        var top = new JsonArray();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            top.Add(new JsonObject
            {
                ["query"] = reader.GetString(0),
                ["toplevel"] = reader.GetBoolean(1),
                ["calls_per_1k"] = Math.Round(reader.GetInt64(2) * 1000.0 / jobs, 2),
                ["ms_per_1k"] = Math.Round(reader.GetDouble(3) * 1000 / jobs, 2),
                ["rows_per_1k"] = Math.Round(reader.GetInt64(4) * 1000.0 / jobs, 1),
            });
        }

        BenchReport.Print("queue.statements", system, new JsonObject { ["audit"] = audit, ["top"] = top });
    }

    private static async Task<long> ScalarAsync(NpgsqlDataSource dataSource, string sql)
    {
        await using var command = dataSource.CreateCommand(sql);
        return Convert.ToInt64(await command.ExecuteScalarAsync());
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        while (!await condition())
        {
            await Task.Delay(5);
        }
    }
}
