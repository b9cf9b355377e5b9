-- An export that failed tells its owner, as a finished one does
-- (artifact_ready): the notification type joins the allowed ones.
ALTER TABLE notifications DROP CONSTRAINT notifications_notification_type_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_notification_type_check
    CHECK (notification_type IN (
        'dataset_ready', 'dataset_invalid', 'job_started', 'job_completed',
        'job_failed', 'job_cancelled', 'budget_alert', 'artifact_ready', 'export_failed'));
