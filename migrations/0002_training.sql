-- The seed's seven tables: datasets, training jobs and their metrics and
-- checkpoints, model artifacts, cost records and notifications. Every row is
-- owned by a user; status columns list exactly the domain enums' values
-- (brightrun::status), and a test checks the two agree.

CREATE TABLE datasets (
    id            uuid PRIMARY KEY,
    owner_id      uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name          text NOT NULL,
    description   text,
    status        text NOT NULL DEFAULT 'pending_upload'
        CHECK (status IN ('pending_upload', 'uploaded', 'validating', 'ready', 'invalid')),
    format        text,
    file_name     text NOT NULL,
    storage_key   text NOT NULL,
    size_bytes    bigint NOT NULL CHECK (size_bytes >= 0),
    stats         jsonb,
    report        jsonb,
    error_count   integer NOT NULL DEFAULT 0,
    warning_count integer NOT NULL DEFAULT 0,
    claimed_at    timestamptz,
    validated_at  timestamptz,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    deleted_at    timestamptz
);
CREATE INDEX datasets_owner_list_idx ON datasets (owner_id, created_at DESC) WHERE deleted_at IS NULL;
CREATE INDEX datasets_work_idx ON datasets (status, created_at) WHERE status IN ('pending_upload', 'uploaded', 'validating');

CREATE TABLE training_jobs (
    id               uuid PRIMARY KEY,
    owner_id         uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    dataset_id       uuid NOT NULL REFERENCES datasets (id),
    parent_model_id  uuid,
    name             text NOT NULL,
    base_model       text NOT NULL,
    status           text NOT NULL DEFAULT 'queued'
        CHECK (status IN ('queued', 'initializing', 'running', 'completed', 'failed', 'cancelled')),
    backend          text NOT NULL,
    external_job_id  text,
    hyperparams      jsonb NOT NULL,
    gpu_type         text NOT NULL,
    gpu_count        integer NOT NULL CHECK (gpu_count BETWEEN 1 AND 8),
    estimate         jsonb,
    current_step     integer NOT NULL DEFAULT 0,
    total_steps      integer,
    current_epoch    real,
    current_metrics  jsonb,
    cost_so_far      numeric(12, 4) NOT NULL DEFAULT 0,
    error_message    text,
    retry_count      integer NOT NULL DEFAULT 0,
    lease_until      timestamptz,
    budget_override  boolean NOT NULL DEFAULT false,
    queued_at        timestamptz NOT NULL DEFAULT now(),
    started_at       timestamptz,
    finished_at      timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    deleted_at       timestamptz
);
CREATE INDEX training_jobs_owner_list_idx ON training_jobs (owner_id, created_at DESC) WHERE deleted_at IS NULL;
CREATE INDEX training_jobs_active_idx ON training_jobs (status, lease_until) WHERE status IN ('queued', 'initializing', 'running');
CREATE INDEX training_jobs_dataset_idx ON training_jobs (dataset_id);

CREATE TABLE metrics_points (
    job_id        uuid NOT NULL REFERENCES training_jobs (id) ON DELETE CASCADE,
    step          integer NOT NULL CHECK (step >= 0),
    epoch         real,
    train_loss    real,
    eval_loss     real,
    learning_rate real,
    tokens_per_second real,
    recorded_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (job_id, step)
);

CREATE TABLE checkpoints (
    id          uuid PRIMARY KEY,
    job_id      uuid NOT NULL REFERENCES training_jobs (id) ON DELETE CASCADE,
    owner_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    step        integer NOT NULL,
    storage_key text NOT NULL,
    size_bytes  bigint NOT NULL DEFAULT 0,
    eval_loss   real,
    created_at  timestamptz NOT NULL DEFAULT now(),
    deleted_at  timestamptz,
    UNIQUE (job_id, step)
);
CREATE INDEX checkpoints_owner_idx ON checkpoints (owner_id);

CREATE TABLE model_artifacts (
    id               uuid PRIMARY KEY,
    owner_id         uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    job_id           uuid NOT NULL UNIQUE REFERENCES training_jobs (id),
    parent_model_id  uuid REFERENCES model_artifacts (id),
    name             text NOT NULL,
    description      text,
    base_model       text NOT NULL,
    storage_prefix   text NOT NULL,
    size_bytes       bigint NOT NULL DEFAULT 0,
    quality_metrics  jsonb,
    quality_rating   smallint CHECK (quality_rating BETWEEN 1 AND 5),
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    deleted_at       timestamptz
);
CREATE INDEX model_artifacts_owner_list_idx ON model_artifacts (owner_id, created_at DESC) WHERE deleted_at IS NULL;
ALTER TABLE training_jobs
    ADD CONSTRAINT training_jobs_parent_model_fk FOREIGN KEY (parent_model_id) REFERENCES model_artifacts (id);

CREATE TABLE cost_records (
    id          uuid PRIMARY KEY,
    owner_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    job_id      uuid REFERENCES training_jobs (id),
    dataset_id  uuid REFERENCES datasets (id),
    model_id    uuid REFERENCES model_artifacts (id),
    cost_type   text NOT NULL CHECK (cost_type IN ('compute', 'storage', 'data_transfer')),
    amount      numeric(12, 4) NOT NULL CHECK (amount >= 0),
    quantity    double precision,
    unit        text,
    details     jsonb,
    period_start timestamptz NOT NULL,
    period_end   timestamptz NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    deleted_at  timestamptz
);
CREATE INDEX cost_records_owner_time_idx ON cost_records (owner_id, period_start DESC);
CREATE INDEX cost_records_job_idx ON cost_records (job_id);

CREATE TABLE notifications (
    id                uuid PRIMARY KEY,
    owner_id          uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    notification_type text NOT NULL CHECK (notification_type IN (
        'dataset_ready', 'dataset_invalid', 'job_started', 'job_completed',
        'job_failed', 'job_cancelled', 'budget_alert', 'artifact_ready')),
    title             text NOT NULL,
    message           text NOT NULL,
    link              text,
    read_at           timestamptz,
    created_at        timestamptz NOT NULL DEFAULT now(),
    deleted_at        timestamptz
);
CREATE INDEX notifications_owner_list_idx ON notifications (owner_id, created_at DESC) WHERE deleted_at IS NULL;
CREATE INDEX notifications_unread_idx ON notifications (owner_id) WHERE read_at IS NULL AND deleted_at IS NULL;
