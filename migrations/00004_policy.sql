-- +goose Up
-- Policy as data: every loaded policy file is one immutable version. Computed results (overlays,
-- eligibility, subsidy lines, zone checks) reference the version that produced them, so a version
-- is never edited or deleted: a changed policy is loaded as a new version label.
CREATE TABLE policy_version (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    version        text NOT NULL UNIQUE CHECK (version ~ '^[0-9A-Za-z][0-9A-Za-z._-]{0,39}$'),
    year           integer NOT NULL CHECK (year BETWEEN 2000 AND 2100),
    effective_from date NOT NULL,
    loaded_at      timestamptz NOT NULL DEFAULT now(),
    source         text NOT NULL CHECK (source <> ''),
    -- sha256 (hex) of the canonical document: keys sorted, no insignificant whitespace.
    checksum       text NOT NULL CHECK (checksum ~ '^[0-9a-f]{64}$'),
    title          text NOT NULL DEFAULT '',
    document       jsonb NOT NULL CHECK (jsonb_typeof(document) = 'object'),
    CONSTRAINT policy_version_matches_document CHECK (document ->> 'version' = version)
);
-- "The version in force on a date": latest effective_from on or before it, ties to the latest loaded.
CREATE INDEX policy_version_in_force ON policy_version (effective_from DESC, loaded_at DESC, id DESC);
CREATE INDEX policy_version_year ON policy_version (year, effective_from DESC, loaded_at DESC, id DESC);

-- +goose StatementBegin
CREATE FUNCTION policy_version_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'policy_version is immutable: % is not allowed', TG_OP
        USING ERRCODE = 'insufficient_privilege',
              HINT = 'results refer to policy versions; load the changed policy under a new version label';
END
$$;
-- +goose StatementEnd
CREATE TRIGGER policy_version_no_change BEFORE UPDATE OR DELETE ON policy_version
    FOR EACH ROW EXECUTE FUNCTION policy_version_immutable();

-- +goose Down
DROP TABLE policy_version;
DROP FUNCTION policy_version_immutable;
