-- A job may validate on a separate file of the user's instead of a share
-- of its training file.
ALTER TABLE training_jobs
    ADD COLUMN validation_dataset_id uuid REFERENCES datasets (id);
CREATE INDEX training_jobs_validation_dataset_idx ON training_jobs (validation_dataset_id)
    WHERE validation_dataset_id IS NOT NULL;
