-- +goose Up
-- The inventory statistics (issue 17) read a summary of the parcel history instead of the
-- parcels: one row per village, combination of the coded attributes the tables group by, and
-- validity period, with the number of parcel versions and their summed legal area (MIAN_JI, exact
-- numeric), stock (XU_JI) and planar area (EPSG:4548, QA only). Versions written by one import
-- share their valid_from (and a retirement their valid_to), so the summary has a few rows per
-- village and import where the parcel table has a million: a table of the 1,000,000-parcel
-- county sums some tens of thousands of rows. "As of" works on it as on the parcels:
-- valid_from <= t AND (valid_to IS NULL OR valid_to > t).
--
-- Statement triggers keep it exact: every insert, update and delete of parcel versions adds its
-- new rows and subtracts its old ones, grouped, in the same transaction; a truncate empties it.
CREATE TABLE parcel_stats (
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
    CONSTRAINT parcel_stats_key UNIQUE NULLS NOT DISTINCT (village_code, di_lei, ld_qs, lm_qs, sen_lin_lb, shi_quan_d, bh_dj,
        lin_zhong, qi_yuan, you_shi_sz, ling_zu, valid_from, valid_to)
);
CREATE INDEX parcel_stats_xian ON parcel_stats (xian, township_code);
CREATE INDEX parcel_stats_empty ON parcel_stats (village_code) WHERE parcels = 0;

-- +goose StatementBegin
CREATE FUNCTION parcel_stats_apply() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        INSERT INTO parcel_stats AS s (xian, township_code, village_code, di_lei, ld_qs, lm_qs, sen_lin_lb, shi_quan_d, bh_dj,
            lin_zhong, qi_yuan, you_shi_sz, ling_zu, valid_from, valid_to, parcels, mian_ji, xu_ji, area_plane_m2)
        SELECT xian, township_code, village_code, di_lei, ld_qs, lm_qs, sen_lin_lb, shi_quan_d, bh_dj,
            lin_zhong, qi_yuan, you_shi_sz, ling_zu, valid_from, valid_to,
            -count(*), -sum(mian_ji), -sum(coalesce(xu_ji, 0)), -sum(area_plane_m2)
        FROM old_rows
        GROUP BY xian, township_code, village_code, di_lei, ld_qs, lm_qs, sen_lin_lb, shi_quan_d, bh_dj,
            lin_zhong, qi_yuan, you_shi_sz, ling_zu, valid_from, valid_to
        ON CONFLICT ON CONSTRAINT parcel_stats_key DO UPDATE SET parcels = s.parcels + excluded.parcels,
            mian_ji = s.mian_ji + excluded.mian_ji, xu_ji = s.xu_ji + excluded.xu_ji,
            area_plane_m2 = s.area_plane_m2 + excluded.area_plane_m2;
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') THEN
        INSERT INTO parcel_stats AS s (xian, township_code, village_code, di_lei, ld_qs, lm_qs, sen_lin_lb, shi_quan_d, bh_dj,
            lin_zhong, qi_yuan, you_shi_sz, ling_zu, valid_from, valid_to, parcels, mian_ji, xu_ji, area_plane_m2)
        SELECT xian, township_code, village_code, di_lei, ld_qs, lm_qs, sen_lin_lb, shi_quan_d, bh_dj,
            lin_zhong, qi_yuan, you_shi_sz, ling_zu, valid_from, valid_to,
            count(*), sum(mian_ji), sum(coalesce(xu_ji, 0)), sum(area_plane_m2)
        FROM new_rows
        GROUP BY xian, township_code, village_code, di_lei, ld_qs, lm_qs, sen_lin_lb, shi_quan_d, bh_dj,
            lin_zhong, qi_yuan, you_shi_sz, ling_zu, valid_from, valid_to
        ON CONFLICT ON CONSTRAINT parcel_stats_key DO UPDATE SET parcels = s.parcels + excluded.parcels,
            mian_ji = s.mian_ji + excluded.mian_ji, xu_ji = s.xu_ji + excluded.xu_ji,
            area_plane_m2 = s.area_plane_m2 + excluded.area_plane_m2;
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

INSERT INTO parcel_stats (xian, township_code, village_code, di_lei, ld_qs, lm_qs, sen_lin_lb, shi_quan_d, bh_dj,
    lin_zhong, qi_yuan, you_shi_sz, ling_zu, valid_from, valid_to, parcels, mian_ji, xu_ji, area_plane_m2)
SELECT xian, township_code, village_code, di_lei, ld_qs, lm_qs, sen_lin_lb, shi_quan_d, bh_dj,
    lin_zhong, qi_yuan, you_shi_sz, ling_zu, valid_from, valid_to,
    count(*), sum(mian_ji), sum(coalesce(xu_ji, 0)), sum(area_plane_m2)
FROM parcel
GROUP BY xian, township_code, village_code, di_lei, ld_qs, lm_qs, sen_lin_lb, shi_quan_d, bh_dj,
    lin_zhong, qi_yuan, you_shi_sz, ling_zu, valid_from, valid_to;

-- +goose Down
DROP TRIGGER parcel_stats_truncate ON parcel;
DROP TRIGGER parcel_stats_delete ON parcel;
DROP TRIGGER parcel_stats_update ON parcel;
DROP TRIGGER parcel_stats_insert ON parcel;
DROP FUNCTION parcel_stats_truncate();
DROP FUNCTION parcel_stats_apply();
DROP TABLE parcel_stats;
