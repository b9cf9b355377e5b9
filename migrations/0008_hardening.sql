-- Rate limits (failed sign-ins, sign-ups) count in one row per key and
-- minute window, incremented atomically: a concurrent burst cannot all pass
-- a check made before any of it is counted. The clean-up prunes old windows.
CREATE TABLE rate_counters (
    key          text PRIMARY KEY,
    window_start timestamptz NOT NULL DEFAULT now(),
    hits         integer NOT NULL DEFAULT 1
);
CREATE INDEX rate_counters_window_idx ON rate_counters (window_start);

DROP TABLE signin_failures;

-- API tokens may expire (optional, chosen at creation).
ALTER TABLE api_tokens ADD COLUMN expires_at timestamptz;
