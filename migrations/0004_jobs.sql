-- Jobs on the cluster backends: the model id reserved when the job is
-- created (the trainer's upload URLs point under its storage prefix), the
-- preset the page shows, when a cancel was asked (cost stops there), how
-- long the cluster has been silent about the job, and each step's gradient norm.
ALTER TABLE training_jobs
    ADD COLUMN model_id            uuid NOT NULL DEFAULT gen_random_uuid(),
    ADD COLUMN preset              text NOT NULL DEFAULT 'custom'
        CHECK (preset IN ('conservative', 'balanced', 'aggressive', 'custom')),
    ADD COLUMN cancel_requested_at timestamptz,
    ADD COLUMN cluster_seen_at     timestamptz,
    ADD COLUMN attempt             integer NOT NULL DEFAULT 0;
ALTER TABLE training_jobs ADD CONSTRAINT training_jobs_model_id_key UNIQUE (model_id);
ALTER TABLE metrics_points ADD COLUMN grad_norm real;
