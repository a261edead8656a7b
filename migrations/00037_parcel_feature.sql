-- +goose Up
-- Parcel features at the speed of the index (issue 18). A parcel feature's geometry and
-- properties (code labels, township and village names, computed areas, latest verdict, zone
-- overlaps) depend on no request: they are built once per current parcel version, when an
-- input changes, and requests stream the stored text (internal/features/stored.go).
--
-- Writes mark the parcels they touch as stale (statement triggers below: parcel versions,
-- overlaps, verdicts; every parcel for labels, township and village names, zones, protected
-- areas); at commit a deferred trigger rebuilds the stale features in the same transaction, so
-- a feature changes exactly when the change that changed it becomes visible.
CREATE TABLE parcel_feature (
    parcel_id        bigint PRIMARY KEY, -- a current parcel version; no foreign key (its key-share locks cost a rebuild a third)
    eligible         boolean,            -- the latest county-wide recompute's verdict (the eligible filter)
    geometry         text COMPRESSION lz4 NOT NULL, -- GeoJSON geometry in CRS84, 7 decimals, exterior rings counter-clockwise
    properties       text COMPRESSION lz4 NOT NULL, -- the properties object (OGC items, the export)
    properties_zones text COMPRESSION lz4 NOT NULL  -- the same with the zone list (the lookup API)
);

-- What each stored feature was built from (features.InputsSQL: the parcel row version, its latest
-- verdict and overlaps), apart from the wide rows so that checking 100,000 of them reads little.
CREATE TABLE parcel_feature_input (
    parcel_id bigint PRIMARY KEY,
    inputs    text NOT NULL
);

-- Parcels whose feature is to be rebuilt at commit (NULL: every one; 0: every one whose inputs
-- changed, after a bulk write). Rows live only inside the
-- transaction that wrote them: the rebuild deletes them before commit.
CREATE TABLE parcel_feature_stale (parcel_id bigint);
-- One row per transaction with stale features: its deferred trigger runs the rebuild once.
CREATE TABLE parcel_feature_pending (at timestamptz NOT NULL DEFAULT now());
-- The policy version whose verdicts the stored features show (the latest county-wide recompute's).
CREATE TABLE parcel_feature_state (
    one               boolean PRIMARY KEY DEFAULT true CHECK (one),
    policy_version_id bigint
);
INSERT INTO parcel_feature_state (policy_version_id)
SELECT (SELECT policy_version_id FROM recompute_run WHERE scope = 'all' ORDER BY id DESC LIMIT 1);

-- parcel_feature_build(ids, force) builds the features of the current parcels among ids (every
-- current parcel when NULL) whose inputs fingerprint changed (all of them when force: labels or
-- names changed), writes those that differ from the stored ones and drops the features of
-- parcels among ids that are no longer current. Its queries are features.BuildSQL() and
-- features.InputsSQL(): when they change, a new migration redefines this function and calls
-- parcel_feature_build(NULL, true).
-- +goose StatementBegin
CREATE FUNCTION parcel_feature_build(ids bigint[], force boolean) RETURNS bigint LANGUAGE plpgsql SET jit = off AS $f$
DECLARE
    n    bigint := 0;
    todo bigint[] := ids;
BEGIN
    IF NOT force THEN
        EXECUTE $inputs$SELECT coalesce(array_agg(c.id), '{}') FROM (
SELECT p.id, concat_ws('|', p.xmin::text, el.eligible, el.status, el.priority,
	(SELECT string_agg(o.zone_id || ':' || o.overlap_m2 || ':' || o.share, ',' ORDER BY o.zone_id) FROM parcel_zone_overlap o WHERE o.parcel_id = p.id))
FROM parcel p
LEFT JOIN parcel_eligibility el ON el.parcel_id = p.id AND el.policy_version_id = (SELECT policy_version_id FROM recompute_run WHERE scope = 'all' ORDER BY id DESC LIMIT 1)
WHERE p.valid_to IS NULL AND ($1::bigint[] IS NULL OR p.id = ANY($1::bigint[]))
) c (id, inputs) LEFT JOIN parcel_feature_input f ON f.parcel_id = c.id WHERE f.inputs IS DISTINCT FROM c.inputs$inputs$ INTO todo USING ids;
    END IF;
    IF todo IS NULL OR cardinality(todo) > 0 THEN
        EXECUTE $build$WITH b (parcel_id, inputs, eligible, geometry, properties, properties_zones) AS (
WITH d AS (SELECT jsonb_object_agg(scheme || '|' || field || '|' || code, label_zh) AS m FROM code_dictionary)
SELECT p.id, concat_ws('|', p.xmin::text, el.eligible, el.status, el.priority,
	(SELECT string_agg(o.zone_id || ':' || o.overlap_m2 || ':' || o.share, ',' ORDER BY o.zone_id) FROM parcel_zone_overlap o WHERE o.parcel_id = p.id)), el.eligible, ST_AsGeoJSON(ST_ForcePolygonCCW(p.geom), 7, 0),
	CASE WHEN p.extra = '{}' THEN x.j::text ELSE left(x.j::text, -1) || ',' || substr(p.extra::text, 2) END,
	CASE WHEN p.extra = '{}' THEN (x.j::jsonb || jsonb_build_object('zones', (SELECT coalesce(json_agg(json_build_object(
		'area_name', a.name, 'area_kind', z.area_kind, 'zone_kind', z.zone_kind, 'zone', z.name,
		'overlap_mu', round((o.overlap_m2 * 3 / 2000)::numeric, 2), 'share', round(o.share::numeric, 4))
		ORDER BY a.name, z.site, z.zone_kind), '[]'::json)
	FROM parcel_zone_overlap o JOIN zone z ON z.id = o.zone_id JOIN protected_area a ON a.id = z.area_id
	WHERE o.parcel_id = p.id)))::text ELSE left((x.j::jsonb || jsonb_build_object('zones', (SELECT coalesce(json_agg(json_build_object(
		'area_name', a.name, 'area_kind', z.area_kind, 'zone_kind', z.zone_kind, 'zone', z.name,
		'overlap_mu', round((o.overlap_m2 * 3 / 2000)::numeric, 2), 'share', round(o.share::numeric, 4))
		ORDER BY a.name, z.site, z.zone_kind), '[]'::json)
	FROM parcel_zone_overlap o JOIN zone z ON z.id = o.zone_id JOIN protected_area a ON a.id = z.area_id
	WHERE o.parcel_id = p.id)))::text, -1) || ',' || substr(p.extra::text, 2) END
FROM parcel p
CROSS JOIN d
LEFT JOIN admin_unit tw ON tw.code = p.township_code
LEFT JOIN admin_unit vi ON vi.code = p.village_code
LEFT JOIN parcel_eligibility el ON el.parcel_id = p.id AND el.policy_version_id = (SELECT policy_version_id FROM recompute_run WHERE scope = 'all' ORDER BY id DESC LIMIT 1)
CROSS JOIN LATERAL (SELECT json_build_object(
	'code', p.code,
	'xian', p."xian",
	'xiang', p."xiang",
	'cun', p."cun",
	'lin_ban', p."lin_ban",
	'xiao_ban', p."xiao_ban",
	'township_code', p.township_code,
	'township', tw.name,
	'village_code', p.village_code,
	'village', vi.name,
	'mian_ji', p."mian_ji",
	'legal_area_mu', round(p.mian_ji * 15, 2),
	'area_ha', round((p.area_m2 / 10000)::numeric, 4),
	'area_mu', round((p.area_m2 * 3 / 2000)::numeric, 2),
	'area_plane_ha', round((p.area_plane_m2 / 10000)::numeric, 4),
	'di_lei', p."di_lei",
	'di_lei_label', d.m ->> (p.code_scheme || '|DI_LEI|' || p."di_lei"),
	'ld_qs', p."ld_qs",
	'ld_qs_label', d.m ->> (p.code_scheme || '|LD_QS|' || p."ld_qs"),
	'lm_qs', p."lm_qs",
	'lm_qs_label', d.m ->> (p.code_scheme || '|LM_QS|' || p."lm_qs"),
	'sen_lin_lb', p."sen_lin_lb",
	'sen_lin_lb_label', d.m ->> (p.code_scheme || '|SEN_LIN_LB|' || p."sen_lin_lb"),
	'shi_quan_d', p."shi_quan_d",
	'shi_quan_d_label', d.m ->> (p.code_scheme || '|SHI_QUAN_D|' || p."shi_quan_d"),
	'gjgyl_bhdj', p."gjgyl_bhdj",
	'gjgyl_bhdj_label', d.m ->> (p.code_scheme || '|GJGYL_BHDJ|' || p."gjgyl_bhdj"),
	'bh_dj', p."bh_dj",
	'bh_dj_label', d.m ->> (p.code_scheme || '|BH_DJ|' || p."bh_dj"),
	'lin_zhong', p."lin_zhong",
	'lin_zhong_label', d.m ->> (p.code_scheme || '|LIN_ZHONG|' || p."lin_zhong"),
	'qi_yuan', p."qi_yuan",
	'qi_yuan_label', d.m ->> (p.code_scheme || '|QI_YUAN|' || p."qi_yuan"),
	'you_shi_sz', p."you_shi_sz",
	'you_shi_sz_label', d.m ->> (p.code_scheme || '|YOU_SHI_SZ|' || p."you_shi_sz"),
	'ling_zu', p."ling_zu",
	'ling_zu_label', d.m ->> (p.code_scheme || '|LING_ZU|' || p."ling_zu"),
	'xu_ji', p."xu_ji",
	'code_scheme', p.code_scheme,
	'valid_from', (to_jsonb(p.valid_from AT TIME ZONE 'Asia/Shanghai') #>> '{}') || '+08:00',
	'demo', p.demo,
	'eligible', el.eligible,
	'status', el.status,
	'priority', el.priority) AS j OFFSET 0) x
WHERE p.valid_to IS NULL AND ($1::bigint[] IS NULL OR p.id = ANY($1::bigint[]))
),
i AS (INSERT INTO parcel_feature_input (parcel_id, inputs) SELECT parcel_id, inputs FROM b
    ON CONFLICT (parcel_id) DO UPDATE SET inputs = EXCLUDED.inputs WHERE parcel_feature_input.inputs IS DISTINCT FROM EXCLUDED.inputs)
INSERT INTO parcel_feature (parcel_id, eligible, geometry, properties, properties_zones)
SELECT parcel_id, eligible, geometry, properties, properties_zones FROM b
ON CONFLICT (parcel_id) DO UPDATE SET eligible = EXCLUDED.eligible, geometry = EXCLUDED.geometry,
    properties = EXCLUDED.properties, properties_zones = EXCLUDED.properties_zones
WHERE (parcel_feature.eligible, parcel_feature.geometry, parcel_feature.properties, parcel_feature.properties_zones)
    IS DISTINCT FROM (EXCLUDED.eligible, EXCLUDED.geometry, EXCLUDED.properties, EXCLUDED.properties_zones)$build$ USING todo;
        GET DIAGNOSTICS n = ROW_COUNT;
    END IF;
    IF ids IS NULL THEN
        DELETE FROM parcel_feature f WHERE NOT EXISTS (SELECT 1 FROM parcel p WHERE p.id = f.parcel_id AND p.valid_to IS NULL);
        DELETE FROM parcel_feature_input f WHERE NOT EXISTS (SELECT 1 FROM parcel p WHERE p.id = f.parcel_id AND p.valid_to IS NULL);
    ELSE
        DELETE FROM parcel_feature f WHERE f.parcel_id = ANY(ids)
            AND NOT EXISTS (SELECT 1 FROM parcel p WHERE p.id = f.parcel_id AND p.valid_to IS NULL);
        DELETE FROM parcel_feature_input f WHERE f.parcel_id = ANY(ids)
            AND NOT EXISTS (SELECT 1 FROM parcel p WHERE p.id = f.parcel_id AND p.valid_to IS NULL);
    END IF;
    RETURN n;
END
$f$;
-- +goose StatementEnd

-- parcel_feature_pend makes sure the transaction rebuilds its stale features at commit.
-- +goose StatementBegin
CREATE FUNCTION parcel_feature_pend() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF coalesce(current_setting('ecocomp.feature_pending', true), '') <> 'on' THEN
        PERFORM set_config('ecocomp.feature_pending', 'on', true);
        INSERT INTO parcel_feature_pending DEFAULT VALUES;
    END IF;
END
$$;
-- +goose StatementEnd

-- The rebuild at commit: every parcel when labels or names changed; the parcels whose inputs
-- changed, among the stale ones, or among all when the latest county-wide recompute is under
-- another policy version than the stored verdicts.
-- +goose StatementBegin
CREATE FUNCTION parcel_feature_refresh() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    every boolean;
    bulk  boolean;
    ids   bigint[];
    vid   bigint;
BEGIN
    PERFORM set_config('ecocomp.feature_pending', 'off', true);
    PERFORM set_config('ecocomp.feature_every', 'off', true);
    PERFORM set_config('ecocomp.feature_bulk', 'off', true);
    DELETE FROM parcel_feature_pending;
    WITH s AS (DELETE FROM parcel_feature_stale RETURNING parcel_id)
    SELECT coalesce(bool_or(parcel_id IS NULL), false), coalesce(bool_or(parcel_id = 0), false),
        array_agg(DISTINCT parcel_id) FILTER (WHERE parcel_id <> 0)
    INTO every, bulk, ids FROM s;
    SELECT policy_version_id INTO vid FROM recompute_run WHERE scope = 'all' ORDER BY id DESC LIMIT 1;
    IF every THEN
        PERFORM parcel_feature_build(NULL, true);
    ELSIF bulk OR vid IS DISTINCT FROM (SELECT policy_version_id FROM parcel_feature_state) THEN
        PERFORM parcel_feature_build(NULL, false);
    ELSIF ids IS NOT NULL THEN
        PERFORM parcel_feature_build(ids, false);
    END IF;
    UPDATE parcel_feature_state SET policy_version_id = vid WHERE policy_version_id IS DISTINCT FROM vid;
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE CONSTRAINT TRIGGER parcel_feature_refresh AFTER INSERT ON parcel_feature_pending
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION parcel_feature_refresh();

-- Parcel versions written, retired or deleted: their features.
-- +goose StatementBegin
CREATE FUNCTION parcel_feature_mark_parcels() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    n bigint;
BEGIN
    IF coalesce(current_setting('ecocomp.feature_every', true), '') <> 'on'
       AND coalesce(current_setting('ecocomp.feature_bulk', true), '') <> 'on' THEN
        SELECT count(*) INTO n FROM changed;
        IF n > 20000 THEN -- a bulk write: check every parcel's inputs at commit instead of listing them
            PERFORM set_config('ecocomp.feature_bulk', 'on', true);
            INSERT INTO parcel_feature_stale VALUES (0);
        ELSE
            INSERT INTO parcel_feature_stale SELECT id FROM changed;
        END IF;
    END IF;
    PERFORM parcel_feature_pend();
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER parcel_feature_insert AFTER INSERT ON parcel
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION parcel_feature_mark_parcels();
CREATE TRIGGER parcel_feature_update AFTER UPDATE ON parcel
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION parcel_feature_mark_parcels();
CREATE TRIGGER parcel_feature_delete AFTER DELETE ON parcel
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION parcel_feature_mark_parcels();

-- Overlaps and verdicts written (recompute): the features of their parcels.
-- +goose StatementBegin
CREATE FUNCTION parcel_feature_mark_results() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    n bigint;
BEGIN
    IF coalesce(current_setting('ecocomp.feature_every', true), '') <> 'on'
       AND coalesce(current_setting('ecocomp.feature_bulk', true), '') <> 'on' THEN
        SELECT count(*) INTO n FROM changed;
        IF n > 20000 THEN -- a bulk write: check every parcel's inputs at commit instead of listing them
            PERFORM set_config('ecocomp.feature_bulk', 'on', true);
            INSERT INTO parcel_feature_stale VALUES (0);
        ELSE
            INSERT INTO parcel_feature_stale SELECT DISTINCT parcel_id FROM changed;
        END IF;
    END IF;
    PERFORM parcel_feature_pend();
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER parcel_feature_insert AFTER INSERT ON parcel_zone_overlap
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION parcel_feature_mark_results();
CREATE TRIGGER parcel_feature_update AFTER UPDATE ON parcel_zone_overlap
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION parcel_feature_mark_results();
CREATE TRIGGER parcel_feature_delete AFTER DELETE ON parcel_zone_overlap
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION parcel_feature_mark_results();
CREATE TRIGGER parcel_feature_insert AFTER INSERT ON parcel_eligibility
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION parcel_feature_mark_results();
CREATE TRIGGER parcel_feature_update AFTER UPDATE ON parcel_eligibility
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION parcel_feature_mark_results();
CREATE TRIGGER parcel_feature_delete AFTER DELETE ON parcel_eligibility
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION parcel_feature_mark_results();

-- Labels, township and village names, zones and protected areas, and any TRUNCATE of an input:
-- every feature (rare writes).
-- +goose StatementBegin
CREATE FUNCTION parcel_feature_mark_every() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF coalesce(current_setting('ecocomp.feature_every', true), '') <> 'on' THEN
        PERFORM set_config('ecocomp.feature_every', 'on', true);
        INSERT INTO parcel_feature_stale VALUES (NULL);
    END IF;
    PERFORM parcel_feature_pend();
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER parcel_feature_every AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON code_dictionary
    FOR EACH STATEMENT EXECUTE FUNCTION parcel_feature_mark_every();
CREATE TRIGGER parcel_feature_every AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON admin_unit
    FOR EACH STATEMENT EXECUTE FUNCTION parcel_feature_mark_every();
CREATE TRIGGER parcel_feature_every AFTER UPDATE OR DELETE OR TRUNCATE ON zone
    FOR EACH STATEMENT EXECUTE FUNCTION parcel_feature_mark_every();
CREATE TRIGGER parcel_feature_every AFTER UPDATE OR DELETE OR TRUNCATE ON protected_area
    FOR EACH STATEMENT EXECUTE FUNCTION parcel_feature_mark_every();
CREATE TRIGGER parcel_feature_truncate AFTER TRUNCATE ON parcel
    FOR EACH STATEMENT EXECUTE FUNCTION parcel_feature_mark_every();
CREATE TRIGGER parcel_feature_truncate AFTER TRUNCATE ON parcel_zone_overlap
    FOR EACH STATEMENT EXECUTE FUNCTION parcel_feature_mark_every();
CREATE TRIGGER parcel_feature_truncate AFTER TRUNCATE ON parcel_eligibility
    FOR EACH STATEMENT EXECUTE FUNCTION parcel_feature_mark_every();

-- A county-wide recompute may change the policy version whose verdicts features show: the
-- rebuild at commit compares it with parcel_feature_state.
-- +goose StatementBegin
CREATE FUNCTION parcel_feature_mark_run() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM parcel_feature_pend();
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER parcel_feature_run AFTER INSERT OR UPDATE OR DELETE ON recompute_run
    FOR EACH STATEMENT EXECUTE FUNCTION parcel_feature_mark_run();

-- +goose Down
DROP TRIGGER parcel_feature_run ON recompute_run;
DROP TRIGGER parcel_feature_truncate ON parcel_eligibility;
DROP TRIGGER parcel_feature_truncate ON parcel_zone_overlap;
DROP TRIGGER parcel_feature_truncate ON parcel;
DROP TRIGGER parcel_feature_every ON protected_area;
DROP TRIGGER parcel_feature_every ON zone;
DROP TRIGGER parcel_feature_every ON admin_unit;
DROP TRIGGER parcel_feature_every ON code_dictionary;
DROP TRIGGER parcel_feature_delete ON parcel_eligibility;
DROP TRIGGER parcel_feature_update ON parcel_eligibility;
DROP TRIGGER parcel_feature_insert ON parcel_eligibility;
DROP TRIGGER parcel_feature_delete ON parcel_zone_overlap;
DROP TRIGGER parcel_feature_update ON parcel_zone_overlap;
DROP TRIGGER parcel_feature_insert ON parcel_zone_overlap;
DROP TRIGGER parcel_feature_delete ON parcel;
DROP TRIGGER parcel_feature_update ON parcel;
DROP TRIGGER parcel_feature_insert ON parcel;
DROP TRIGGER parcel_feature_refresh ON parcel_feature_pending;
DROP FUNCTION parcel_feature_mark_run;
DROP FUNCTION parcel_feature_mark_every;
DROP FUNCTION parcel_feature_mark_results;
DROP FUNCTION parcel_feature_mark_parcels;
DROP FUNCTION parcel_feature_refresh;
DROP FUNCTION parcel_feature_pend;
DROP FUNCTION parcel_feature_build;
DROP TABLE parcel_feature_state;
DROP TABLE parcel_feature_pending;
DROP TABLE parcel_feature_stale;
DROP TABLE parcel_feature_input;
DROP TABLE parcel_feature;
