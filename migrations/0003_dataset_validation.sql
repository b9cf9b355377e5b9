-- Dataset validation: the worker's lease and progress, the sample
-- conversations shown on the dataset page, and the tokenizer that counted.
ALTER TABLE datasets
    ADD COLUMN lease_until    timestamptz,
    ADD COLUMN progress_bytes bigint NOT NULL DEFAULT 0,
    ADD COLUMN samples        jsonb,
    ADD COLUMN tokenizer      text;
