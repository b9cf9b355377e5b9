-- Base models added from the Hugging Face Hub: one row per repository and
-- revision, downloaded by the base-models worker into the models folder.
-- `hub_token` (for gated models) is erased when the download ends.
CREATE TABLE base_model_downloads (
    id               uuid PRIMARY KEY,
    added_by         uuid NOT NULL REFERENCES users (id),
    hub_id           text NOT NULL,
    revision         text NOT NULL,
    name             text NOT NULL UNIQUE,
    architecture     text NOT NULL,
    parameters       bigint NOT NULL,
    files            jsonb NOT NULL,
    total_bytes      bigint NOT NULL,
    downloaded_bytes bigint NOT NULL DEFAULT 0,
    status           text NOT NULL DEFAULT 'downloading'
        CHECK (status IN ('downloading', 'ready', 'failed')),
    error            text,
    hub_token        text,
    attempts         integer NOT NULL DEFAULT 0,
    lease_until      timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX base_model_downloads_pending_idx ON base_model_downloads (created_at)
    WHERE status = 'downloading';
