-- Models, costs, budgets, notifications and webhooks (issue 6).
--
-- A user's monthly budget; how far each job's compute has been written to
-- cost_records (a record each minute and one at the end); when a deleted
-- model's objects were removed; one storage record per owner and day.
ALTER TABLE users
    ADD COLUMN monthly_budget numeric(12, 2) CHECK (monthly_budget IS NULL OR monthly_budget > 0);
ALTER TABLE training_jobs ADD COLUMN billed_until timestamptz;
ALTER TABLE model_artifacts ADD COLUMN objects_removed_at timestamptz;
CREATE UNIQUE INDEX cost_records_storage_day_key ON cost_records (owner_id, period_start)
    WHERE cost_type = 'storage';
CREATE INDEX model_artifacts_parent_idx ON model_artifacts (parent_model_id);

-- Which budget thresholds (80, 90, 100 %) have been announced in which month:
-- the primary key makes each alert once a month.
CREATE TABLE budget_alerts (
    owner_id   uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    month      date NOT NULL,
    threshold  smallint NOT NULL CHECK (threshold IN (80, 90, 100)),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (owner_id, month, threshold)
);

-- Webhooks: every notification is POSTed (signed with the hook's secret) to
-- each of its owner's hooks; each attempt is kept so settings can show it.
CREATE TABLE webhooks (
    id         uuid PRIMARY KEY,
    owner_id   uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    url        text NOT NULL,
    secret     text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    deleted_at timestamptz
);
CREATE INDEX webhooks_owner_idx ON webhooks (owner_id) WHERE deleted_at IS NULL;

CREATE TABLE webhook_deliveries (
    id               uuid PRIMARY KEY,
    webhook_id       uuid NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    owner_id         uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    notification_id  uuid NOT NULL REFERENCES notifications (id) ON DELETE CASCADE,
    event            text NOT NULL,
    status           text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts         integer NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    last_status_code integer,
    last_error       text,
    delivered_at     timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_hook_idx ON webhook_deliveries (webhook_id, created_at DESC);

-- Every way a notification is written (dataset worker, poller, budget
-- alerts) queues its deliveries in the same transaction.
CREATE FUNCTION queue_webhook_deliveries() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO webhook_deliveries (id, webhook_id, owner_id, notification_id, event)
    SELECT gen_random_uuid(), w.id, NEW.owner_id, NEW.id, NEW.notification_type
    FROM webhooks w
    WHERE w.owner_id = NEW.owner_id AND w.deleted_at IS NULL;
    RETURN NEW;
END
$$;
CREATE TRIGGER notifications_queue_webhooks AFTER INSERT ON notifications
    FOR EACH ROW EXECUTE FUNCTION queue_webhook_deliveries();
