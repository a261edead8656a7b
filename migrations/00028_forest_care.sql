-- +goose Up
-- Forest care under the forest-chief system (林长制, issue 16): care responsibility areas
-- (管护责任区) that may cross township lines, the forest chiefs (林长) above each at village,
-- township and county level, the ecological rangers (生态护林员) and which ranger looks after
-- which area when. One ranger at a time per area; past assignments are kept.

-- The exclusion constraint on assignments compares an area id (btree) and a date range (gist).
CREATE EXTENSION IF NOT EXISTS btree_gist;

CREATE TABLE care_area (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code       text NOT NULL UNIQUE CONSTRAINT care_area_code_form CHECK (code ~ '^[0-9A-Za-z_-]{1,40}$'),
    name       text NOT NULL CHECK (name <> ''),
    created_by text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    geom       geometry(MultiPolygon, 4490) NOT NULL CONSTRAINT care_area_geom_valid CHECK (geom_ok(geom))
);
CREATE INDEX care_area_geom_idx ON care_area USING gist (geom);

-- The forest chiefs of an area: officials, named in clear (they are published on 林长公示牌).
CREATE TABLE care_chief (
    area_id bigint NOT NULL REFERENCES care_area (id) ON DELETE CASCADE,
    level   text NOT NULL CHECK (level IN ('village', 'township', 'county')),
    name    text NOT NULL CHECK (name <> ''),
    PRIMARY KEY (area_id, level)
);

-- Rangers are personal data like owners (internal/pii): name, ID number and bank account are
-- ciphertexts under the PII key, with a keyed hash of the ID number for search.
CREATE TABLE ranger (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name_enc         bytea NOT NULL,
    id_number_enc    bytea NOT NULL,
    id_number_hash   bytea NOT NULL,
    bank_account_enc bytea,
    village_code     text REFERENCES admin_unit (code),
    poor_household   boolean NOT NULL DEFAULT false, -- hired under the 建档立卡 programme
    contract_from    date NOT NULL,
    contract_to      date NOT NULL,
    yearly_pay_fen   bigint NOT NULL CHECK (yearly_pay_fen >= 0),
    created_by       text NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT ranger_contract_order CHECK (contract_to >= contract_from)
);
CREATE INDEX ranger_id_number_hash ON ranger (id_number_hash);

-- Who looks after an area when: a closed range of days ([from, to], to open when not yet ended).
CREATE TABLE care_assignment (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    area_id    bigint NOT NULL REFERENCES care_area (id),
    ranger_id  bigint NOT NULL REFERENCES ranger (id),
    period     daterange NOT NULL CHECK (NOT isempty(period) AND NOT lower_inf(period)),
    created_by text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT care_assignment_one_ranger_at_a_time EXCLUDE USING gist (area_id WITH =, period WITH &&)
);
CREATE INDEX care_assignment_ranger_idx ON care_assignment (ranger_id);

-- +goose Down
DROP TABLE care_assignment;
DROP TABLE ranger;
DROP TABLE care_chief;
DROP TABLE care_area;
