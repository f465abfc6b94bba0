#!/bin/bash
# The queue's SQL hot path alone, in one session, with no Workers and no listener:
#   bench/queue-sql-loop.sh DATABASE [JOBS]   (a migrated database on the server psql reaches through PGHOST/PGPORT/PGUSER,
#                                              on this machine: the backend's CPU is read from /proc, so run it on the server's host)
# Empties job_queue and job_log (TRUNCATE ... CASCADE: use a scratch database), CHECKPOINTs, then enqueues JOBS
# (default 50,000) with create_jobs_bulk in batches of 1,000, then claims and completes them with claim_jobs and
# complete_jobs in batches of 500. Prints the backend's CPU (user + system, ms per 1,000 jobs; 10 ms resolution) and the
# WAL written (bytes per job) of each phase. WAL here includes the full-page images after the CHECKPOINT and varies
# from run to run; compare CPU, and WAL from `bench -- queue`.
DB=$1; N=${2:-50000}
S=$(mktemp)
{
echo "\\set QUIET on"
echo "SELECT pg_backend_pid() AS pid \\gset"; echo "\\setenv PID :pid"
echo "TRUNCATE job_queue, job_log CASCADE;"
echo "CHECKPOINT;"
echo "SELECT pg_current_wal_lsn() AS w0 \\gset"
echo "\\! awk '{print \"t0\", \$14+\$15}' /proc/\$PID/stat"
for ((i=0;i<N/1000;i++)); do echo "SELECT create_jobs_bulk(NULL, 'echo', (SELECT array_agg('{}'::jsonb) FROM generate_series(1,1000)), 'lab') \\g /dev/null"; done
echo "SELECT pg_current_wal_lsn() AS w1 \\gset"
echo "\\! awk '{print \"t1\", \$14+\$15}' /proc/\$PID/stat"
for ((i=0;i<N/500;i++)); do
  echo "SELECT array_agg(id) AS ids FROM claim_jobs('lab', 'w-lab', 500, 30) \\gset"
  echo "SELECT complete_jobs('w-lab', :'ids'::uuid[], NULL) \\g /dev/null"
done
echo "SELECT pg_current_wal_lsn() AS w2 \\gset"
echo "\\! awk '{print \"t2\", \$14+\$15}' /proc/\$PID/stat"
echo "SELECT 'wal', pg_wal_lsn_diff(:'w1', :'w0')::bigint, pg_wal_lsn_diff(:'w2', :'w1')::bigint, (SELECT count(*) FROM job_queue WHERE status='completed') \\g"
} > "$S"
psql -X -At -d "$DB" -f "$S" 2>/dev/null | awk -v n="$N" '
/^t0/{t0=$2} /^t1/{t1=$2} /^t2/{t2=$2}
/^wal/{split($0,a,"|"); printf "enqueue cpu %.1f ms/1k wal %.0f B/job | claim+complete cpu %.1f ms/1k wal %.0f B/job | completed %s\n", (t1-t0)*10*1000/n, a[2]/n, (t2-t1)*10*1000/n, a[3]/n, a[4]}'
rm -f "$S"
