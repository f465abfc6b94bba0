-- Migration: fewer indexes on the queue's hot path
-- Purpose:
--   Every job state change writes a new row version into every index whose predicate it matches. Three indexes
--   of 002 served no query the platform runs, yet cost a write on every claim and completion:
--     idx_job_queue_type_status  (job_type, status, created_at): no query filters jobs by type without user or queue;
--     idx_job_queue_locked_by    (locked_by) WHERE processing: heartbeats, completions and releases go by job id;
--     idx_job_log_worker         (worker_id, created_at): per-worker history is read from the audit trail.
-- Runs inside one transaction opened by the Migrations runner (no BEGIN/COMMIT here).
--
-- Rollback instructions: re-create the three indexes as in 002_async_job_queue.sql.

DROP INDEX IF EXISTS idx_job_queue_type_status;
DROP INDEX IF EXISTS idx_job_queue_locked_by;
DROP INDEX IF EXISTS idx_job_log_worker;
