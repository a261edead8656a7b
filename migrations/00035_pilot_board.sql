-- +goose Up
-- The pilot's indicator board (issue 17, point 4): the units that answer for the pilot's work
-- (县林业局, 县财政局 …), the plan as versioned data (its indicators with their targets and its
-- tasks with lead and partner units, yearly work plan and status), loaded from seeds/pilot/ by
-- `ecocomp pilot load` like the policy, and the progress entries the responsible units write,
-- each with its evidence file. A loaded version is never edited: a changed plan is a new label.

CREATE TABLE pilot_unit (
    code text PRIMARY KEY CHECK (code ~ '^[a-z][a-z0-9_]{1,31}$'),
    name text NOT NULL CHECK (name <> '')
);

CREATE TABLE pilot_version (
    id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    version   text NOT NULL UNIQUE CHECK (version ~ '^[0-9A-Za-z][0-9A-Za-z._-]{0,39}$'),
    title     text NOT NULL DEFAULT '',
    source    text NOT NULL CHECK (source <> ''),
    checksum  text NOT NULL CHECK (checksum ~ '^[0-9a-f]{64}$'),
    complete  boolean NOT NULL,            -- false: the file lists only some of the plan's tasks
    tasks_in_plan int NOT NULL CHECK (tasks_in_plan > 0),
    note      text NOT NULL DEFAULT '',
    loaded_at timestamptz NOT NULL DEFAULT now(),
    loaded_by text NOT NULL
);

-- An indicator of a version. code is stable across versions: entries refer to it.
CREATE TABLE pilot_indicator (
    version_id    bigint NOT NULL REFERENCES pilot_version (id),
    code          text NOT NULL CHECK (code ~ '^[a-z][a-z0-9_]{1,39}$'),
    seq           int NOT NULL,
    name          text NOT NULL CHECK (name <> ''),
    measure       text NOT NULL CHECK (measure <> ''),      -- the unit of measure, e.g. 亿元
    target        numeric(18, 4) NOT NULL CHECK (target > 0),
    comparison    text NOT NULL CHECK (comparison IN ('reach', 'exceed')), -- 达到 / 突破、以上
    year          int NOT NULL CHECK (year BETWEEN 2000 AND 2100),
    lead_unit     text NOT NULL REFERENCES pilot_unit (code),
    partner_units text[] NOT NULL DEFAULT '{}',
    quote         text NOT NULL DEFAULT '',                 -- the plan's words
    PRIMARY KEY (version_id, code)
);

CREATE TABLE pilot_task (
    version_id    bigint NOT NULL REFERENCES pilot_version (id),
    code          text NOT NULL CHECK (code ~ '^[a-z][a-z0-9_-]{1,39}$'),
    seq           int NOT NULL,
    number        int CHECK (number BETWEEN 1 AND 100),     -- the plan's number, where known
    title         text NOT NULL CHECK (title <> ''),
    quote         text NOT NULL DEFAULT '',
    lead_unit     text NOT NULL REFERENCES pilot_unit (code),
    partner_units text[] NOT NULL DEFAULT '{}',
    plan          jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(plan) = 'array'), -- [{year, work}]
    status        text NOT NULL CHECK (status IN ('not_started', 'in_progress', 'done', 'delayed', 'unknown')),
    PRIMARY KEY (version_id, code)
);

-- A progress entry: the indicator's value on a day (a level such as the fund's size, not an
-- increment), written by a member of the responsible unit, with its evidence.
CREATE TABLE pilot_entry (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    indicator       text NOT NULL,
    unit_code       text NOT NULL REFERENCES pilot_unit (code),
    on_date         date NOT NULL,
    value           numeric(18, 4) NOT NULL CHECK (value >= 0),
    note            text NOT NULL DEFAULT '',
    evidence_name   text,
    evidence_media  text CHECK (evidence_media IN ('application/pdf', 'image/jpeg', 'image/png',
                        'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet')),
    evidence        bytea,
    evidence_sha256 text,
    entered_by      text NOT NULL,
    user_id         bigint REFERENCES app_user (id),
    entered_at      timestamptz NOT NULL DEFAULT now(),
    CHECK ((evidence IS NULL) = (evidence_media IS NULL))
);
CREATE INDEX pilot_entry_indicator ON pilot_entry (indicator, on_date DESC, id DESC);

-- +goose Down
DROP TABLE pilot_entry;
DROP TABLE pilot_task;
DROP TABLE pilot_indicator;
DROP TABLE pilot_version;
DROP TABLE pilot_unit;
