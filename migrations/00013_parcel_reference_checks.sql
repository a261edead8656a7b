-- +goose Up
-- The foreign keys from parcel to import_batch and owner checked every inserted parcel on its own
-- (a lookup and a row lock each: 0.3 s of a 100,000-parcel import, in the one process that
-- inserts, for what is one batch and a few thousand owners). The statement trigger that checks
-- the codes of an INSERT or UPDATE now checks the distinct batch and owner ids of its rows too,
-- once each, and locks them as a foreign key would (FOR KEY SHARE); deleting a batch or an owner
-- that parcels refer to is refused by statement triggers on those tables. The refusals keep the
-- foreign keys' names and SQLSTATE (23503).
ALTER TABLE parcel DROP CONSTRAINT parcel_batch_id_fkey, DROP CONSTRAINT parcel_owner_id_fkey;

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION parcel_check_codes_all() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    bad record;
    missing bigint;
BEGIN
    SELECT u.f, u.v, u.scheme INTO bad
    FROM (SELECT DISTINCT c.f, c.v, n.code_scheme AS scheme
          FROM new_rows n
          CROSS JOIN LATERAL (VALUES
              ('DI_LEI', n.di_lei), ('LD_QS', n.ld_qs), ('LM_QS', n.lm_qs),
              ('SEN_LIN_LB', n.sen_lin_lb), ('SHI_QUAN_D', n.shi_quan_d),
              ('GJGYL_BHDJ', n.gjgyl_bhdj), ('BH_DJ', n.bh_dj), ('LIN_ZHONG', n.lin_zhong),
              ('QI_YUAN', n.qi_yuan), ('YOU_SHI_SZ', n.you_shi_sz), ('LING_ZU', n.ling_zu)) AS c(f, v)
          WHERE c.v IS NOT NULL) u
    WHERE NOT EXISTS (SELECT 1 FROM code_dictionary d WHERE d.field = u.f AND d.scheme = u.scheme AND d.code = u.v)
    ORDER BY u.f, u.v
    LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'unknown code % for % in code scheme %', quote_literal(bad.v), bad.f, bad.scheme
            USING ERRCODE = 'foreign_key_violation',
                  HINT = 'use a code listed in code_dictionary for that field, or map the legacy code first',
                  CONSTRAINT = 'parcel_known_codes';
    END IF;

    PERFORM 1 FROM import_batch b WHERE b.id IN (SELECT batch_id FROM new_rows) FOR KEY SHARE;
    SELECT x.id INTO missing FROM (SELECT DISTINCT batch_id AS id FROM new_rows WHERE batch_id IS NOT NULL) x
    WHERE NOT EXISTS (SELECT 1 FROM import_batch b WHERE b.id = x.id) ORDER BY x.id LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'insert or update on table "parcel" violates foreign key constraint "parcel_batch_id_fkey"'
            USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'parcel_batch_id_fkey',
                  DETAIL = format('Key (batch_id)=(%s) is not present in table "import_batch".', missing);
    END IF;

    PERFORM 1 FROM owner o WHERE o.id IN (SELECT owner_id FROM new_rows) FOR KEY SHARE;
    SELECT x.id INTO missing FROM (SELECT DISTINCT owner_id AS id FROM new_rows WHERE owner_id IS NOT NULL) x
    WHERE NOT EXISTS (SELECT 1 FROM owner o WHERE o.id = x.id) ORDER BY x.id LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'insert or update on table "parcel" violates foreign key constraint "parcel_owner_id_fkey"'
            USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'parcel_owner_id_fkey',
                  DETAIL = format('Key (owner_id)=(%s) is not present in table "owner".', missing);
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION parcel_referenced_delete() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    ref bigint;
BEGIN
    IF TG_TABLE_NAME = 'owner' THEN
        SELECT p.owner_id INTO ref FROM parcel p WHERE p.owner_id IN (SELECT id FROM old_rows) LIMIT 1;
    ELSE
        SELECT p.batch_id INTO ref FROM parcel p WHERE p.batch_id IN (SELECT id FROM old_rows) LIMIT 1;
    END IF;
    IF FOUND THEN
        RAISE EXCEPTION 'update or delete on table "%" violates foreign key constraint "parcel_%_id_fkey" on table "parcel"',
                TG_TABLE_NAME, CASE TG_TABLE_NAME WHEN 'owner' THEN 'owner' ELSE 'batch' END
            USING ERRCODE = 'foreign_key_violation',
                  CONSTRAINT = CASE TG_TABLE_NAME WHEN 'owner' THEN 'parcel_owner_id_fkey' ELSE 'parcel_batch_id_fkey' END,
                  DETAIL = format('Key (id)=(%s) is still referenced from table "parcel".', ref);
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER parcel_owner_referenced AFTER DELETE ON owner
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION parcel_referenced_delete();
CREATE TRIGGER parcel_batch_referenced AFTER DELETE ON import_batch
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION parcel_referenced_delete();

-- +goose Down
DROP TRIGGER parcel_batch_referenced ON import_batch;
DROP TRIGGER parcel_owner_referenced ON owner;
DROP FUNCTION parcel_referenced_delete;
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION parcel_check_codes_all() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    bad record;
BEGIN
    SELECT u.f, u.v, u.scheme INTO bad
    FROM (SELECT DISTINCT c.f, c.v, n.code_scheme AS scheme
          FROM new_rows n
          CROSS JOIN LATERAL (VALUES
              ('DI_LEI', n.di_lei), ('LD_QS', n.ld_qs), ('LM_QS', n.lm_qs),
              ('SEN_LIN_LB', n.sen_lin_lb), ('SHI_QUAN_D', n.shi_quan_d),
              ('GJGYL_BHDJ', n.gjgyl_bhdj), ('BH_DJ', n.bh_dj), ('LIN_ZHONG', n.lin_zhong),
              ('QI_YUAN', n.qi_yuan), ('YOU_SHI_SZ', n.you_shi_sz), ('LING_ZU', n.ling_zu)) AS c(f, v)
          WHERE c.v IS NOT NULL) u
    WHERE NOT EXISTS (SELECT 1 FROM code_dictionary d WHERE d.field = u.f AND d.scheme = u.scheme AND d.code = u.v)
    ORDER BY u.f, u.v
    LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'unknown code % for % in code scheme %', quote_literal(bad.v), bad.f, bad.scheme
            USING ERRCODE = 'foreign_key_violation',
                  HINT = 'use a code listed in code_dictionary for that field, or map the legacy code first',
                  CONSTRAINT = 'parcel_known_codes';
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd
ALTER TABLE parcel ADD CONSTRAINT parcel_owner_id_fkey FOREIGN KEY (owner_id) REFERENCES owner (id),
    ADD CONSTRAINT parcel_batch_id_fkey FOREIGN KEY (batch_id) REFERENCES import_batch (id);
