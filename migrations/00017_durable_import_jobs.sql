-- +goose Up
-- Imports uploaded over HTTP become durable jobs (issue 11). The upload itself is kept here until
-- the job ends, so any server instance can run it and a job a crash or a shutdown interrupted can
-- run again from the start; import_job is the queue that the servers' workers claim from with
-- FOR UPDATE SKIP LOCKED, one running job per county at a time.
--
-- A running job is held by its worker through a session advisory lock (key 'jobs' << 32 | id)
-- on a connection of its own: when the worker's process dies, PostgreSQL drops the lock with the
-- connection, and a running job nobody holds was interrupted. Its import ran in one transaction
-- that never committed: nothing of it was written, and it is queued again (at most three times)
-- or failed, saying so. A job that landed marked itself imported inside the import's own
-- transaction, with its results recomputed there too: the data and the job's word on it commit
-- together or not at all.
ALTER TABLE import_job
    -- The county whose imports run one at a time (the form's county, or the only county loaded).
    ADD COLUMN county              text NOT NULL DEFAULT '',
    -- The submitter's form fields (options, mapping), from which the import's options are read
    -- again whenever the job runs; replaces the options column's role.
    ADD COLUMN fields              jsonb NOT NULL DEFAULT '{}',
    -- Who submitted it, as the audit rows of its run name them, and from which request.
    ADD COLUMN submitter           jsonb NOT NULL DEFAULT '{}',
    ADD COLUMN request_id          text NOT NULL DEFAULT '',
    ADD COLUMN client_addr         text NOT NULL DEFAULT '',
    -- While running: reading, validating, merging, recomputing or committing.
    ADD COLUMN phase               text CHECK (phase IN ('reading', 'validating', 'merging', 'recomputing', 'committing')),
    -- Runs started, and how many of them a crash or a stopped server interrupted.
    ADD COLUMN attempts            integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    ADD COLUMN interruptions       integer NOT NULL DEFAULT 0 CHECK (interruptions >= 0),
    -- What happened to the job that its report does not say (an interruption, a requeue).
    ADD COLUMN note                text,
    ADD COLUMN cancel_requested_at timestamptz,
    ADD COLUMN cancelled_by        text,
    ADD COLUMN upload_bytes        bigint;

ALTER TABLE import_job DROP CONSTRAINT import_job_status_check;
ALTER TABLE import_job ADD CONSTRAINT import_job_status_check
    CHECK (status IN ('queued', 'running', 'imported', 'dry_run', 'rejected', 'failed', 'cancelled'));

-- Jobs of the old in-process runner that were queued or running when this migration ran have no
-- kept upload: they were lost with the process that ran them.
UPDATE import_job SET status = 'failed', finished_at = clock_timestamp(),
    report = coalesce(report, '{}') || jsonb_build_object('status', 'failed',
        'reason', 'interrupted (the server was upgraded during the import); nothing was written: submit the file again')
WHERE status IN ('queued', 'running');

-- One running import per county, whatever the workers believe.
CREATE UNIQUE INDEX import_job_running_county ON import_job (county) WHERE status = 'running';
CREATE INDEX import_job_queue ON import_job (county, id) WHERE status = 'queued';

-- The uploaded file, in chunks of up to 1 MiB, until its job ends. Zips do not compress further:
-- the chunks are stored out of line without another compression attempt.
CREATE TABLE import_upload (
    job_id bigint NOT NULL REFERENCES import_job (id) ON DELETE CASCADE,
    seq    integer NOT NULL CHECK (seq >= 0),
    data   bytea NOT NULL,
    PRIMARY KEY (job_id, seq)
);
ALTER TABLE import_upload ALTER COLUMN data SET STORAGE EXTERNAL;

-- A job's status moves forward only: queued → running → an outcome, queued → cancelled or
-- failed, running → queued again after an interruption. An outcome is final.
-- +goose StatementBegin
CREATE FUNCTION import_job_transition() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.status = OLD.status
       OR (OLD.status = 'queued' AND NEW.status IN ('running', 'cancelled', 'failed'))
       OR (OLD.status = 'running' AND NEW.status IN ('queued', 'imported', 'dry_run', 'rejected', 'failed', 'cancelled')) THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'import job % cannot go from % to %', OLD.id, OLD.status, NEW.status
        USING ERRCODE = 'check_violation', CONSTRAINT = 'import_job_transition';
END
$$;
-- +goose StatementEnd
CREATE TRIGGER import_job_transition BEFORE UPDATE OF status ON import_job
    FOR EACH ROW EXECUTE FUNCTION import_job_transition();

-- +goose Down
DROP TRIGGER import_job_transition ON import_job;
DROP FUNCTION import_job_transition();
DROP TABLE import_upload;
DROP INDEX import_job_queue;
DROP INDEX import_job_running_county;
UPDATE import_job SET status = 'failed' WHERE status = 'cancelled';
ALTER TABLE import_job DROP CONSTRAINT import_job_status_check;
ALTER TABLE import_job ADD CONSTRAINT import_job_status_check
    CHECK (status IN ('queued', 'running', 'imported', 'dry_run', 'rejected', 'failed'));
ALTER TABLE import_job
    DROP COLUMN county, DROP COLUMN fields, DROP COLUMN submitter, DROP COLUMN request_id,
    DROP COLUMN client_addr, DROP COLUMN phase, DROP COLUMN attempts, DROP COLUMN interruptions,
    DROP COLUMN note, DROP COLUMN cancel_requested_at, DROP COLUMN cancelled_by, DROP COLUMN upload_bytes;
