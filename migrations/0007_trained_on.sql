-- The device a job actually trained on, as its trainer reported it (kind,
-- name, memory, count, dtypes); NULL until it says. Compute is billed at
-- that device's catalog price, not the requested GPU type's, when the two
-- differ (a GPU job that a cluster ran on a CPU, or on another GPU).
ALTER TABLE training_jobs ADD COLUMN trained_on jsonb;
