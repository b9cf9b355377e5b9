-- What the model said at each evaluation of a job: the validation loss and
-- its greedy answers to a few held-out prompts (`[{prompt, reference,
-- answer}]`). Step 0 is the base model before training. Written by the
-- poller from the trainer's metrics; read by the job monitor, the model
-- page and the REST job detail.
CREATE TABLE job_evaluations (
    job_id   uuid NOT NULL REFERENCES training_jobs (id) ON DELETE CASCADE,
    step     integer NOT NULL CHECK (step >= 0),
    val_loss real NOT NULL,
    samples  jsonb NOT NULL DEFAULT '[]',
    PRIMARY KEY (job_id, step)
);
