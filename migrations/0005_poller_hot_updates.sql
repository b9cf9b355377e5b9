-- The poller writes every active job twice a tick (the claim, then progress
-- and lease release). With lease_until in the active-jobs index and full
-- pages, none of those writes was done in place: each made a new row version
-- and entries in every index. Keyed on what the claim filters and orders by,
-- with room left on each page, they become in-place (HOT) updates.
DROP INDEX training_jobs_active_idx;
CREATE INDEX training_jobs_active_idx ON training_jobs (backend, queued_at)
    WHERE status IN ('queued', 'initializing', 'running') AND deleted_at IS NULL;
ALTER TABLE training_jobs SET (fillfactor = 50);
