-- +goose Up
-- The inventory statistics (issue 17) read a summary of the parcel history instead of the
-- parcels: per grouping set (gset) of the coded attributes the tables group by, one row per
-- village, value combination and validity period, with the number of parcel versions and their
-- summed legal area (MIAN_JI, exact numeric), stock (XU_JI) and planar area (EPSG:4548, QA only).
-- The sets (internal/stats names each table's):
--   1 DI_LEI, QI_YUAN, SEN_LIN_LB, LIN_ZHONG  (land class; forest by origin and category or type)
--   2 DI_LEI, YOU_SHI_SZ, LING_ZU             (arbor forest by species and age group)
--   3 LD_QS, LM_QS                            (ownership)
--   4 SEN_LIN_LB, SHI_QUAN_D, BH_DJ           (public-welfare forest)
-- the other attribute columns of a set's rows are NULL. Versions written by one import share
-- their valid_from (and a retirement its valid_to), so a table of the 1,000,000-parcel county sums
-- a few hundred rows per village instead of its thousands of parcels. "As of" works on it as on
-- the parcels: valid_from <= t AND (valid_to IS NULL OR valid_to > t).
--
-- Statement triggers keep it exact: every insert, update and delete of parcel versions adds its
-- new rows and subtracts its old ones, grouped, in the same transaction; a truncate empties it.
CREATE TABLE parcel_stats (
    gset          smallint NOT NULL CHECK (gset BETWEEN 1 AND 4),
    xian          text NOT NULL,
    township_code text NOT NULL,
    village_code  text NOT NULL,
    di_lei        text,
    ld_qs         text,
    lm_qs         text,
    sen_lin_lb    text,
    shi_quan_d    text,
    bh_dj         text,
    lin_zhong     text,
    qi_yuan       text,
    you_shi_sz    text,
    ling_zu       text,
    valid_from    timestamptz NOT NULL,
    valid_to      timestamptz,
    parcels       bigint NOT NULL,
    mian_ji       numeric NOT NULL,
    xu_ji         numeric NOT NULL,
    area_plane_m2 double precision NOT NULL,
    CONSTRAINT parcel_stats_key UNIQUE NULLS NOT DISTINCT (gset, village_code, di_lei, ld_qs, lm_qs, sen_lin_lb, shi_quan_d, bh_dj,
        lin_zhong, qi_yuan, you_shi_sz, ling_zu, valid_from, valid_to)
);
CREATE INDEX parcel_stats_xian ON parcel_stats (gset, xian);
CREATE INDEX parcel_stats_empty ON parcel_stats (village_code) WHERE parcels = 0;

-- parcel_stats_sql is the statement that adds the rows of a relation (a transition table) to the
-- summary, times sign (1 or -1), for every grouping set.
-- +goose StatementBegin
CREATE FUNCTION parcel_stats_sql(rel text, sign int) RETURNS text LANGUAGE sql IMMUTABLE AS $$
SELECT format($f$
INSERT INTO parcel_stats AS s (gset, xian, township_code, village_code, di_lei, ld_qs, lm_qs, sen_lin_lb, shi_quan_d, bh_dj,
    lin_zhong, qi_yuan, you_shi_sz, ling_zu, valid_from, valid_to, parcels, mian_ji, xu_ji, area_plane_m2)
SELECT 1, xian, township_code, village_code, di_lei, NULL, NULL, sen_lin_lb, NULL, NULL, lin_zhong, qi_yuan, NULL, NULL,
    valid_from, valid_to, %2$s * count(*), %2$s * sum(mian_ji), %2$s * sum(coalesce(xu_ji, 0)), %2$s * sum(area_plane_m2)
FROM %1$I GROUP BY xian, township_code, village_code, di_lei, sen_lin_lb, lin_zhong, qi_yuan, valid_from, valid_to
UNION ALL
SELECT 2, xian, township_code, village_code, di_lei, NULL, NULL, NULL, NULL, NULL, NULL, NULL, you_shi_sz, ling_zu,
    valid_from, valid_to, %2$s * count(*), %2$s * sum(mian_ji), %2$s * sum(coalesce(xu_ji, 0)), %2$s * sum(area_plane_m2)
FROM %1$I GROUP BY xian, township_code, village_code, di_lei, you_shi_sz, ling_zu, valid_from, valid_to
UNION ALL
SELECT 3, xian, township_code, village_code, NULL, ld_qs, lm_qs, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
    valid_from, valid_to, %2$s * count(*), %2$s * sum(mian_ji), %2$s * sum(coalesce(xu_ji, 0)), %2$s * sum(area_plane_m2)
FROM %1$I GROUP BY xian, township_code, village_code, ld_qs, lm_qs, valid_from, valid_to
UNION ALL
SELECT 4, xian, township_code, village_code, NULL, NULL, NULL, sen_lin_lb, shi_quan_d, bh_dj, NULL, NULL, NULL, NULL,
    valid_from, valid_to, %2$s * count(*), %2$s * sum(mian_ji), %2$s * sum(coalesce(xu_ji, 0)), %2$s * sum(area_plane_m2)
FROM %1$I GROUP BY xian, township_code, village_code, sen_lin_lb, shi_quan_d, bh_dj, valid_from, valid_to
ON CONFLICT ON CONSTRAINT parcel_stats_key DO UPDATE SET parcels = s.parcels + excluded.parcels,
    mian_ji = s.mian_ji + excluded.mian_ji, xu_ji = s.xu_ji + excluded.xu_ji,
    area_plane_m2 = s.area_plane_m2 + excluded.area_plane_m2$f$, rel, sign)
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION parcel_stats_apply() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        EXECUTE parcel_stats_sql('old_rows', -1);
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') THEN
        EXECUTE parcel_stats_sql('new_rows', 1);
    END IF;
    DELETE FROM parcel_stats WHERE parcels = 0;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION parcel_stats_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    TRUNCATE parcel_stats;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER parcel_stats_insert AFTER INSERT ON parcel REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION parcel_stats_apply();
CREATE TRIGGER parcel_stats_update AFTER UPDATE ON parcel REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION parcel_stats_apply();
CREATE TRIGGER parcel_stats_delete AFTER DELETE ON parcel REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION parcel_stats_apply();
CREATE TRIGGER parcel_stats_truncate AFTER TRUNCATE ON parcel
    FOR EACH STATEMENT EXECUTE FUNCTION parcel_stats_truncate();

-- +goose StatementBegin
DO $$ BEGIN EXECUTE parcel_stats_sql('parcel', 1); END $$;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER parcel_stats_truncate ON parcel;
DROP TRIGGER parcel_stats_delete ON parcel;
DROP TRIGGER parcel_stats_update ON parcel;
DROP TRIGGER parcel_stats_insert ON parcel;
DROP FUNCTION parcel_stats_truncate();
DROP FUNCTION parcel_stats_apply();
DROP FUNCTION parcel_stats_sql(text, int);
DROP TABLE parcel_stats;
