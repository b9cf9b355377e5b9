-- Exports of trained models (issue 21): the adapter merged into its base as
-- a Hugging Face folder, GGUF in three precisions, and the adapter as a GGUF
-- LoRA. One row per model and format; a failed one is queued again in place.
-- The exports worker claims queued rows with FOR UPDATE SKIP LOCKED and
-- holds a lease it extends as it writes progress: a `running` row whose
-- lease ran out (its worker died) goes back to `queued`. `files` lists what
-- is stored under `storage_prefix` once completed; `size_bytes` is their
-- total, billed as storage like the adapter's.
CREATE TABLE model_exports (
    id             uuid PRIMARY KEY,
    model_id       uuid NOT NULL REFERENCES model_artifacts (id) ON DELETE CASCADE,
    owner_id       uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    format         text NOT NULL
        CHECK (format IN ('merged', 'gguf-f16', 'gguf-q8_0', 'gguf-q4_k_m', 'gguf-lora')),
    status         text NOT NULL DEFAULT 'queued'
        CHECK (status IN ('queued', 'running', 'completed', 'failed')),
    progress       real NOT NULL DEFAULT 0 CHECK (progress BETWEEN 0 AND 1),
    stage          text,
    error          text,
    files          jsonb NOT NULL DEFAULT '[]',
    size_bytes     bigint NOT NULL DEFAULT 0,
    storage_prefix text NOT NULL,
    attempts       integer NOT NULL DEFAULT 0,
    lease_until    timestamptz,
    created_at     timestamptz NOT NULL DEFAULT now(),
    started_at     timestamptz,
    completed_at   timestamptz,
    updated_at     timestamptz NOT NULL DEFAULT now(),
    UNIQUE (model_id, format)
);
CREATE INDEX model_exports_queued_idx ON model_exports (created_at) WHERE status = 'queued';
CREATE INDEX model_exports_running_idx ON model_exports (lease_until) WHERE status = 'running';
CREATE INDEX model_exports_owner_idx ON model_exports (owner_id) WHERE status = 'completed';
