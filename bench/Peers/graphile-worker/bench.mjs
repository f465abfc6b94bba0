// Peer benchmark: graphile-worker, N no-op jobs.
//   node bench.mjs <connection-string> <jobs>
// 1. migrates the graphile_worker schema (not timed),
// 2. enqueues one untimed warm-up job, then N no-op jobs with addJobs in batches of 1,000, one batch after another
//    (timed: enqueue jobs/s, with its cost per job: this process's CPU, the server's CPU and WAL),
// 3. starts one runner (concurrency 24, local queue 500, batched completion) and times it from run() until the
//    last job has succeeded and the jobs table is empty (timed: processed jobs/s).
// Prints one JSON object as the last line of stdout; the bench console (suite peer-graphile) reads it.
// Graphile's log goes to stderr (warnings and errors only).
import { readFileSync, readdirSync } from "node:fs";
import { EventEmitter } from "node:events";
import { performance } from "node:perf_hooks";
import { Logger, makeWorkerUtils, run } from "graphile-worker";

const [connectionString, jobsArg] = process.argv.slice(2);
const jobs = Number.parseInt(jobsArg ?? "100000", 10);
if (!connectionString || !Number.isFinite(jobs) || jobs <= 0) {
  console.error("usage: node bench.mjs <connection-string> <jobs>");
  process.exit(2);
}

const BATCH = 1000;
const version = JSON.parse(
  readFileSync(new URL("./node_modules/graphile-worker/package.json", import.meta.url), "utf8"),
).version;

// The configuration graphile-worker documents for its own performance figures
// (https://worker.graphile.org/docs/performance), against our database.
const settings = {
  concurrentJobs: 24,
  maxPoolSize: 25,
  localQueue: { size: 500 },
  completeJobBatchDelay: 0,
  failJobBatchDelay: 0,
  pollInterval: 2000,
};

const logger = new Logger(() => (level, message) => {
  if (level === "error" || level === "warning") {
    console.error(`[graphile-worker ${level}] ${message}`);
  }
});

const preset = { worker: { connectionString, ...settings } };

// What the enqueue costs, as the queue suite's `cost` measures it: this process's CPU (ms per 1,000 jobs), the
// PostgreSQL server's CPU from /proc when BENCH_PG_PID holds the postmaster's pid (its live children's utime + stime,
// plus its own and its exited children's), and WAL bytes per job.
const serverPid = Number.parseInt(process.env.BENCH_PG_PID ?? "", 10);
function serverCpuMs() {
  if (!Number.isFinite(serverPid)) return null;
  let ticks = 0;
  for (const entry of readdirSync("/proc")) {
    if (!/^[0-9]+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      const pid = Number(entry);
      if (pid === serverPid) ticks += Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]);
      else if (Number(fields[1]) === serverPid) ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // The process ended while we looked.
    }
  }
  return ticks * 10; // USER_HZ 100
}
async function snapshot(workerUtils) {
  const wal = await workerUtils.withPgClient(async (client) =>
    (await client.query("select pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::bigint::text as lsn")).rows[0].lsn);
  return { cpu: process.cpuUsage(), server: serverCpuMs(), wal: BigInt(wal) };
}
function costPerJob(before, after, count) {
  const clientMs = (after.cpu.user - before.cpu.user + after.cpu.system - before.cpu.system) / 1000;
  const cost = {
    process_cpu_ms_per_1k: Math.round((clientMs * 1000) / count * 10) / 10,
    wal_bytes_per_job: Number((after.wal - before.wal) / BigInt(count)),
  };
  if (before.server !== null && after.server !== null) {
    cost.server_cpu_ms_per_1k = Math.round(((after.server - before.server) * 1000) / count * 10) / 10;
  }
  return cost;
}

const utils = await makeWorkerUtils({ connectionString, logger });
let enqueueSeconds;
let enqueueCost;
try {
  await utils.migrate();
  await utils.addJobs([{ identifier: "noop", payload: { n: -1 } }]); // warm-up, not counted (as the queue suite's)
  const before = await snapshot(utils);
  const started = performance.now();
  for (let offset = 0; offset < jobs; offset += BATCH) {
    const size = Math.min(BATCH, jobs - offset);
    const specs = new Array(size);
    for (let i = 0; i < size; i++) {
      specs[i] = { identifier: "noop", payload: { n: offset + i } };
    }
    await utils.addJobs(specs);
  }
  enqueueSeconds = (performance.now() - started) / 1000;
  enqueueCost = costPerJob(before, await snapshot(utils), jobs);
} finally {
  await utils.release();
}

let succeeded = 0;
let failed = 0;
let allSucceeded;
const done = new Promise((resolve) => (allSucceeded = resolve));
// A no-op never fails; should one anyway (it would be retried later), give up instead of waiting forever.
const timeoutMs = Math.max(120_000, jobs / 500 * 1000);
const timer = setTimeout(() => {
  console.error(`graphile-worker: ${succeeded}/${jobs} succeeded (${failed} failed) after ${timeoutMs} ms; giving up`);
  process.exit(1);
}, timeoutMs);

const events = new EventEmitter();
events.on("job:success", () => {
  if (++succeeded === jobs + 1) allSucceeded();
});
events.on("job:error", () => failed++);

const processStarted = performance.now();
const runner = await run({
  preset,
  logger,
  events,
  taskList: {
    noop: async () => {},
  },
});
await done;
clearTimeout(timer);

// Completions are batched: wait until the database agrees that every job is gone.
const check = await makeWorkerUtils({ connectionString, logger });
let remaining;
try {
  for (;;) {
    remaining = await check.withPgClient(async (client) => {
      const result = await client.query("select count(*)::int as n from graphile_worker._private_jobs");
      return result.rows[0].n;
    });
    if (remaining === 0) break;
    await new Promise((r) => setTimeout(r, 10));
  }
} finally {
  await check.release();
}
const processSeconds = (performance.now() - processStarted) / 1000;
await runner.stop();

console.log(
  JSON.stringify({
    peer: `graphile-worker ${version}`,
    node: process.version,
    jobs,
    failed,
    enqueue: { batch: BATCH, seconds: enqueueSeconds, per_s: jobs / enqueueSeconds, cost: enqueueCost },
    process: { seconds: processSeconds, per_s: jobs / processSeconds },
    settings,
  }),
);
