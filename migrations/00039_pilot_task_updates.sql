-- +goose Up
-- A task's status and yearly work plan as its units report them (issue 17, point 4): every
-- update is kept (append-only), the task's status is its latest update (by day, then by
-- entry). Written only by a signed-in member of the task's lead or partner units, audited as
-- pilot.task. The task code is stable across plan versions, as the indicator code is for
-- progress entries. plan_year/plan_work, when given, replace that year's work plan.
CREATE TABLE pilot_task_update (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    task        text NOT NULL,
    unit_code   text NOT NULL REFERENCES pilot_unit (code),
    status      text NOT NULL CHECK (status IN ('not_started', 'in_progress', 'done', 'delayed')),
    on_date     date NOT NULL,
    note        text NOT NULL DEFAULT '',
    plan_year   int CHECK (plan_year BETWEEN 2000 AND 2100),
    plan_work   text CHECK (plan_work <> ''),
    entered_by  text NOT NULL,
    user_id     bigint REFERENCES app_user (id),
    entered_at  timestamptz NOT NULL DEFAULT now(),
    CHECK ((plan_year IS NULL) = (plan_work IS NULL))
);
CREATE INDEX pilot_task_update_task ON pilot_task_update (task, on_date DESC, id DESC);

-- Append-only: an update is corrected by a later one, never edited or removed.
-- +goose StatementBegin
CREATE FUNCTION pilot_task_update_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'pilot_task_update is append-only: send a new update instead';
END $$;
-- +goose StatementEnd
CREATE TRIGGER pilot_task_update_frozen BEFORE UPDATE OR DELETE ON pilot_task_update
    FOR EACH ROW EXECUTE FUNCTION pilot_task_update_frozen();

-- +goose Down
DROP TABLE pilot_task_update;
DROP FUNCTION pilot_task_update_frozen();
