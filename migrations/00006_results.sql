-- +goose Up
-- What the eligibility rules need to know beyond the inventory, and the computed results.

-- Statuses that rule a parcel out of a buyout (keyed by code: they outlive parcel versions).
CREATE TABLE parcel_flag (
    code   text NOT NULL,
    flag   text NOT NULL CHECK (flag IN ('active_case', 'disputed', 'mortgaged')),
    since  date NOT NULL,
    until  date,
    note   text NOT NULL DEFAULT '',
    PRIMARY KEY (code, flag, since),
    CHECK (until IS NULL OR until > since)
);

-- Signed agreements of a mode (e.g. a 协议封育 closure agreement) that some programs require.
CREATE TABLE parcel_agreement (
    code      text NOT NULL,
    mode      text NOT NULL CHECK (mode IN ('buyout', 'swap', 'lease', 'custody', 'equity', 'concession', 'closure_agreement')),
    signed_on date NOT NULL,
    ends_on   date,
    note      text NOT NULL DEFAULT '',
    PRIMARY KEY (code, mode, signed_on),
    CHECK (ends_on IS NULL OR ends_on > signed_on)
);

-- One row per recompute: which policy, which year, what it covered.
CREATE TABLE recompute_run (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    policy_version_id bigint NOT NULL REFERENCES policy_version (id),
    year              int NOT NULL,
    scope             text NOT NULL CHECK (scope IN ('all', 'parcels', 'zones')),
    started_at        timestamptz NOT NULL DEFAULT now(),
    finished_at       timestamptz,
    parcels           int NOT NULL DEFAULT 0,
    overlap_rows      int NOT NULL DEFAULT 0,
    lines             int NOT NULL DEFAULT 0
);

-- The eligibility verdict of one parcel version under one policy version. The rule-by-rule
-- explanation is re-derived on request; failed names the rules that failed.
CREATE TABLE parcel_eligibility (
    policy_version_id bigint NOT NULL REFERENCES policy_version (id),
    parcel_id         bigint NOT NULL REFERENCES parcel (id) ON DELETE CASCADE,
    eligible          boolean NOT NULL,
    status            text NOT NULL CHECK (status IN ('eligible', 'in_case', 'public_welfare', 'other')),
    modes             text[] NOT NULL DEFAULT '{}',
    priority          int NOT NULL DEFAULT 0,
    estimate_fen      bigint,
    failed            text[] NOT NULL DEFAULT '{}',
    PRIMARY KEY (policy_version_id, parcel_id)
);
CREATE INDEX parcel_eligibility_parcel_idx ON parcel_eligibility (parcel_id);

-- Subsidy lines of one parcel version for one year under one policy version, in 分 and 0.01 亩.
-- The basis sentence of each line is re-derived on request.
CREATE TABLE subsidy_line (
    policy_version_id bigint NOT NULL REFERENCES policy_version (id),
    year              int NOT NULL,
    parcel_id         bigint NOT NULL REFERENCES parcel (id) ON DELETE CASCADE,
    line              int NOT NULL,
    program           text NOT NULL,
    program_name      text NOT NULL,
    area_centimu      bigint NOT NULL CHECK (area_centimu >= 0),
    rate_fen          bigint NOT NULL CHECK (rate_fen >= 0),
    amount_fen        bigint NOT NULL CHECK (amount_fen >= 0),
    confirmed         boolean NOT NULL,
    PRIMARY KEY (policy_version_id, year, parcel_id, line)
);
CREATE INDEX subsidy_line_parcel_idx ON subsidy_line (parcel_id);

-- +goose Down
DROP TABLE subsidy_line;
DROP TABLE parcel_eligibility;
DROP TABLE recompute_run;
DROP TABLE parcel_agreement;
DROP TABLE parcel_flag;
