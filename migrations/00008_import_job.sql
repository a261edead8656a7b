-- +goose Up
-- Imports uploaded over HTTP run in the background: one row per upload says how far it got and
-- holds its validation report. The parcels themselves land (or not) in one transaction of their
-- own, with an import_batch row as their cause; a rejected or failed upload leaves only this row.
CREATE TABLE import_job (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind        text NOT NULL CHECK (kind IN ('parcels', 'zones')),
    file_name   text NOT NULL CHECK (file_name <> ''),
    options     jsonb NOT NULL DEFAULT '{}',
    actor       text NOT NULL,
    status      text NOT NULL DEFAULT 'queued'
                CHECK (status IN ('queued', 'running', 'imported', 'dry_run', 'rejected', 'failed')),
    created_at  timestamptz NOT NULL DEFAULT now(),
    started_at  timestamptz,
    finished_at timestamptz,
    -- The backend that runs the import: a running job whose backend is gone was interrupted.
    worker_pid  integer,
    batch_id    bigint REFERENCES import_batch (id),
    report      jsonb
);
CREATE INDEX import_job_created ON import_job (created_at DESC);

-- +goose Down
DROP TABLE import_job;
