-- +goose Up
-- The ecocomp schema: administrative units, protected areas and zones, forest parcels (小班) with
-- history, owners (personal data, kept apart), the code dictionary and an append-only audit log.
-- Geometry is CGCS2000 geographic (EPSG:4490) MultiPolygon; areas are computed by PostGIS.

CREATE EXTENSION IF NOT EXISTS postgis;

-- Every geometry column obeys the same rules; one function keeps the check text in one place.
-- +goose StatementBegin
CREATE FUNCTION geom_ok(g geometry) RETURNS boolean
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT NOT ST_IsEmpty(g) AND ST_IsValid(g)
$$;
-- +goose StatementEnd

-- Administrative units: the county (XIAN, 6 digits), townships (XIAN+XIANG, 9) and
-- villages (XIAN+XIANG+CUN, 12). Children tile their parent.
CREATE TABLE admin_unit (
    code        text PRIMARY KEY CHECK (code ~ '^[0-9]{6}([0-9]{3}){0,2}$'),
    level       text NOT NULL CHECK (level IN ('county', 'township', 'village')),
    name        text NOT NULL CHECK (name <> ''),
    parent_code text REFERENCES admin_unit (code),
    demo        boolean NOT NULL DEFAULT false,
    geom        geometry(MultiPolygon, 4490) NOT NULL CONSTRAINT admin_unit_geom_valid CHECK (geom_ok(geom)),
    CONSTRAINT admin_unit_level_matches_code CHECK (
        (level = 'county' AND length(code) = 6 AND parent_code IS NULL) OR
        (level = 'township' AND length(code) = 9 AND parent_code = left(code, 6)) OR
        (level = 'village' AND length(code) = 12 AND parent_code = left(code, 9)))
);
CREATE INDEX admin_unit_geom_idx ON admin_unit USING gist (geom);
CREATE INDEX admin_unit_parent_idx ON admin_unit (parent_code);

-- Which zone kinds an area kind may hold (API.md names).
CREATE TABLE zone_kind (
    area_kind text NOT NULL CHECK (area_kind IN ('nature_reserve', 'wetland_park', 'water_source', 'scenic_area')),
    zone_kind text NOT NULL,
    label_zh  text NOT NULL,
    label_en  text NOT NULL,
    PRIMARY KEY (area_kind, zone_kind)
);
INSERT INTO zone_kind (area_kind, zone_kind, label_zh, label_en) VALUES
    ('nature_reserve', 'core',            '核心区',     'core zone'),
    ('nature_reserve', 'buffer',          '缓冲区',     'buffer zone'),
    ('nature_reserve', 'experimental',    '实验区',     'experimental zone'),
    ('nature_reserve', 'core_protection', '核心保护区', 'core protection zone'),
    ('nature_reserve', 'general_control', '一般控制区', 'general control zone'),
    ('wetland_park',   'conservation',    '保育区',     'conservation zone'),
    ('wetland_park',   'restoration',     '恢复重建区', 'restoration zone'),
    ('wetland_park',   'reasonable_use',  '合理利用区', 'reasonable-use zone'),
    ('water_source',   'primary',         '一级保护区', 'primary protection zone'),
    ('water_source',   'secondary',       '二级保护区', 'secondary protection zone'),
    ('scenic_area',    'core_scenic',     '核心景区',   'core scenic zone'),
    ('scenic_area',    'general_scenic',  '一般景区',   'general scenic zone');

CREATE TABLE protected_area (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        text NOT NULL UNIQUE CHECK (name <> ''),
    area_kind   text NOT NULL CHECK (area_kind IN ('nature_reserve', 'wetland_park', 'water_source', 'scenic_area')),
    level       text NOT NULL DEFAULT 'national' CHECK (level IN ('national', 'provincial', 'municipal', 'county')),
    established date,
    demo        boolean NOT NULL DEFAULT false,
    note        text NOT NULL DEFAULT '',
    UNIQUE (id, area_kind)
);

-- A zone is one zone of one site of a protected area; a reserve with several separate sites
-- has one row per site and zone kind. The area's outline is the union of its zones.
CREATE TABLE zone (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    area_id     bigint NOT NULL,
    area_kind   text NOT NULL,
    zone_kind   text NOT NULL,
    site        text NOT NULL DEFAULT '',
    name        text NOT NULL CHECK (name <> ''),
    demo        boolean NOT NULL DEFAULT false,
    geom        geometry(MultiPolygon, 4490) NOT NULL CONSTRAINT zone_geom_valid CHECK (geom_ok(geom)),
    FOREIGN KEY (area_id, area_kind) REFERENCES protected_area (id, area_kind) ON DELETE CASCADE,
    CONSTRAINT zone_kind_fits_area FOREIGN KEY (area_kind, zone_kind) REFERENCES zone_kind (area_kind, zone_kind),
    UNIQUE (area_id, site, zone_kind)
);
CREATE INDEX zone_geom_idx ON zone USING gist (geom);

-- The code dictionary: every coded inventory attribute, per code scheme. Legacy schemes map onto
-- the current one through maps_to, so imports translate and decode without digit tricks in Go.
CREATE TABLE code_dictionary (
    field    text NOT NULL,
    scheme   text NOT NULL,
    code     text NOT NULL,
    label_zh text NOT NULL,
    label_en text NOT NULL DEFAULT '',
    maps_to  text,
    PRIMARY KEY (field, scheme, code)
);

-- Owners are personal data: names, ID numbers and accounts live here and nowhere else.
CREATE TABLE owner (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind         text NOT NULL CHECK (kind IN ('state', 'collective', 'individual', 'enterprise', 'partnership', 'other')),
    name         text NOT NULL CHECK (name <> ''),
    id_number    text,
    bank_account text,
    phone        text,
    village_code text REFERENCES admin_unit (code),
    demo         boolean NOT NULL DEFAULT false
);

-- One row per import, seed or edit run: the cause of every parcel version.
CREATE TABLE import_batch (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind        text NOT NULL CHECK (kind IN ('seed', 'import', 'edit')),
    source      text NOT NULL,
    started_at  timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz,
    status      text NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'done', 'failed')),
    report      jsonb NOT NULL DEFAULT '{}'
);

-- Parcels (小班) with history: every change is a new row; the current version has valid_to NULL.
-- MIAN_JI is the legal area (ha) used for payments; the computed areas are for overlays and QA.
CREATE TABLE parcel (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code          text NOT NULL CHECK (code <> ''),
    xian          text NOT NULL CHECK (xian ~ '^[0-9]{6}$'),
    xiang         text NOT NULL CHECK (xiang ~ '^[0-9]{3}$'),
    cun           text NOT NULL CHECK (cun ~ '^[0-9]{3}$'),
    lin_ban       text NOT NULL CHECK (lin_ban <> ''),
    xiao_ban      text NOT NULL CHECK (xiao_ban <> ''),
    township_code text GENERATED ALWAYS AS (xian || xiang) STORED,
    village_code  text GENERATED ALWAYS AS (xian || xiang || cun) STORED,
    mian_ji       numeric(14, 4) NOT NULL CONSTRAINT parcel_mian_ji_positive CHECK (mian_ji > 0),
    code_scheme   text NOT NULL DEFAULT '2020',
    di_lei        text,
    ld_qs         text,
    lm_qs         text,
    sen_lin_lb    text,
    shi_quan_d    text,
    gjgyl_bhdj    text,
    bh_dj         text,
    lin_zhong     text,
    qi_yuan       text,
    you_shi_sz    text,
    ling_zu       text,
    xu_ji         numeric(12, 1) CHECK (xu_ji >= 0),
    owner_id      bigint REFERENCES owner (id),
    extra         jsonb NOT NULL DEFAULT '{}',
    demo          boolean NOT NULL DEFAULT false,
    geom          geometry(MultiPolygon, 4490) NOT NULL CONSTRAINT parcel_geom_valid CHECK (geom_ok(geom)),
    area_m2       double precision GENERATED ALWAYS AS (ST_Area(geom::geography)) STORED,
    area_plane_m2 double precision GENERATED ALWAYS AS (ST_Area(ST_Transform(geom, 4548))) STORED,
    valid_from    timestamptz NOT NULL DEFAULT now(),
    valid_to      timestamptz,
    batch_id      bigint REFERENCES import_batch (id),
    CONSTRAINT parcel_valid_period CHECK (valid_to IS NULL OR valid_to > valid_from)
);
CREATE UNIQUE INDEX parcel_current_code ON parcel (code) WHERE valid_to IS NULL;
CREATE INDEX parcel_code_history ON parcel (code, valid_from);
CREATE INDEX parcel_current_geom ON parcel USING gist (geom) WHERE valid_to IS NULL;
CREATE INDEX parcel_current_village ON parcel (village_code, code) WHERE valid_to IS NULL;
CREATE INDEX parcel_batch ON parcel (batch_id);

-- Unknown codes are rejected with a sentence naming the field, the code and the scheme.
-- +goose StatementBegin
CREATE FUNCTION parcel_check_codes() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    f text;
    v text;
BEGIN
    FOR f, v IN SELECT * FROM (VALUES
        ('DI_LEI', NEW.di_lei), ('LD_QS', NEW.ld_qs), ('LM_QS', NEW.lm_qs),
        ('SEN_LIN_LB', NEW.sen_lin_lb), ('SHI_QUAN_D', NEW.shi_quan_d),
        ('GJGYL_BHDJ', NEW.gjgyl_bhdj), ('BH_DJ', NEW.bh_dj), ('LIN_ZHONG', NEW.lin_zhong),
        ('QI_YUAN', NEW.qi_yuan), ('YOU_SHI_SZ', NEW.you_shi_sz), ('LING_ZU', NEW.ling_zu)) AS c(f, v)
        WHERE c.v IS NOT NULL
    LOOP
        IF NOT EXISTS (SELECT 1 FROM code_dictionary d
                       WHERE d.field = f AND d.scheme = NEW.code_scheme AND d.code = v) THEN
            RAISE EXCEPTION 'unknown code % for % in code scheme %', quote_literal(v), f, NEW.code_scheme
                USING ERRCODE = 'foreign_key_violation',
                      HINT = 'use a code listed in code_dictionary for that field, or map the legacy code first',
                      CONSTRAINT = 'parcel_known_codes';
        END IF;
    END LOOP;
    RETURN NEW;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER parcel_known_codes BEFORE INSERT OR UPDATE ON parcel
    FOR EACH ROW EXECUTE FUNCTION parcel_check_codes();

CREATE VIEW parcel_current AS SELECT * FROM parcel WHERE valid_to IS NULL;

-- The audit log is append-only: updates, deletes and truncation are refused.
CREATE TABLE audit_log (
    id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at        timestamptz NOT NULL DEFAULT now(),
    actor     text NOT NULL,
    action    text NOT NULL,
    entity    text NOT NULL,
    entity_id text,
    detail    jsonb NOT NULL DEFAULT '{}'
);
-- +goose StatementBegin
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only: % is not allowed', TG_OP
        USING ERRCODE = 'insufficient_privilege',
              HINT = 'record a correcting entry instead of changing history';
END
$$;
-- +goose StatementEnd
CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();

-- +goose Down
DROP TABLE audit_log;
DROP FUNCTION audit_log_append_only;
DROP VIEW parcel_current;
DROP TABLE parcel;
DROP FUNCTION parcel_check_codes;
DROP TABLE import_batch;
DROP TABLE owner;
DROP TABLE code_dictionary;
DROP TABLE zone;
DROP TABLE protected_area;
DROP TABLE zone_kind;
DROP TABLE admin_unit;
DROP FUNCTION geom_ok;
