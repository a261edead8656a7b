-- +goose Up
-- A large write no longer builds its stored features at commit (issue 18: an import of 100,000
-- parcels spent 21 s of its commit there). The commit-time trigger still decides, in the writer's
-- transaction, which features the write changed (the fingerprint check of 00040). Up to
-- ecocomp.feature_sync_max of them (2,000 unless set) it builds at once, as before; more, it
-- deletes their stored rows and queues them in parcel_feature_queue, and the server's builder
-- (features.Drain) builds them in batches after the commit. Readers never see a stale feature:
-- a parcel without a stored row is built by the query that reads it, from parcel_feature_rows,
-- the same build as the stored one (features.BuildSQL). Writers' commits and each builder batch
-- take the same advisory lock, so a batch never stores a feature built from data a writer
-- changed before the batch committed.
CREATE TABLE parcel_feature_queue (parcel_id bigint PRIMARY KEY);

-- parcel_feature_rows(ids) is the stored form of the current parcels among ids, built now and
-- written nowhere: what a reader shows for a parcel whose feature is queued (features.RowsSQL,
-- the build of 00037 finding its parcels by index). PL/pgSQL keeps its plan for the session
-- (an SQL function was planned again by every query that called it: 2 ms a lookup), and the
-- planner costs a call as one row, so a query that may call it is not JIT-compiled as if it
-- built every feature it reads.
-- +goose StatementBegin
CREATE FUNCTION parcel_feature_rows(ids bigint[]) RETURNS TABLE (parcel_id bigint, inputs text, eligible boolean,
    geometry text, properties text, properties_zones text) LANGUAGE plpgsql STABLE ROWS 1
    SET plan_cache_mode = force_generic_plan SET jit = off AS $f$
#variable_conflict use_column
BEGIN
    RETURN QUERY WITH d AS (SELECT jsonb_object_agg(scheme || '|' || field || '|' || code, label_zh) AS m FROM code_dictionary)
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
WHERE p.valid_to IS NULL AND p.id = ANY($1::bigint[]);
END
$f$;
-- +goose StatementEnd

-- The rebuild at commit (00037), now building at once only a few features.
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION parcel_feature_refresh() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    every boolean;
    bulk  boolean;
    ids   bigint[];
    vid   bigint;
    within bigint[];
    todo  bigint[];
    n     bigint;
    most  bigint := coalesce(nullif(current_setting('ecocomp.feature_sync_max', true), '')::bigint, 2000);
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
    IF NOT bulk AND vid IS DISTINCT FROM (SELECT policy_version_id FROM parcel_feature_state) THEN
        bulk := true;
    END IF;
    IF NOT every AND NOT bulk AND ids IS NULL THEN
        RETURN NULL;
    END IF;
    -- One writer or builder batch at a time decides and stores features (features.Drain).
    PERFORM pg_advisory_xact_lock(7318180001);
    IF every THEN
        SELECT count(*) INTO n FROM parcel WHERE valid_to IS NULL;
    ELSE
        IF NOT bulk THEN
            within := ids;
        END IF;
        EXECUTE $stale$SELECT coalesce(array_agg(c.id), '{}') FROM (
SELECT p.id
FROM parcel p
LEFT JOIN parcel_feature_input f ON f.parcel_id = p.id
LEFT JOIN parcel_eligibility el ON el.parcel_id = p.id AND el.policy_version_id = (SELECT policy_version_id FROM recompute_run WHERE scope = 'all' ORDER BY id DESC LIMIT 1)
WHERE p.valid_to IS NULL AND ($1::bigint[] IS NULL OR p.id = ANY($1::bigint[]))
  AND (f.inputs IS NULL OR f.inputs <> concat_ws('|', p.xmin::text, el.eligible, el.status, el.priority,
	(SELECT string_agg(o.zone_id || ':' || o.overlap_m2 || ':' || o.share, ',' ORDER BY o.zone_id) FROM parcel_zone_overlap o WHERE o.parcel_id = p.id)))
) c (id)$stale$ INTO todo USING within;
        n := cardinality(todo);
    END IF;
    IF n <= most THEN
        IF every THEN
            PERFORM parcel_feature_build(NULL, true);
        ELSIF n > 0 THEN
            PERFORM parcel_feature_build(todo, true);
        END IF;
    ELSIF every THEN
        DELETE FROM parcel_feature;
        DELETE FROM parcel_feature_input;
        INSERT INTO parcel_feature_queue SELECT id FROM parcel WHERE valid_to IS NULL ON CONFLICT DO NOTHING;
    ELSE
        DELETE FROM parcel_feature WHERE parcel_id = ANY(todo);
        DELETE FROM parcel_feature_input WHERE parcel_id = ANY(todo);
        INSERT INTO parcel_feature_queue SELECT unnest(todo) ON CONFLICT DO NOTHING;
    END IF;
    IF n > most THEN
        PERFORM pg_notify('ecocomp_feature', n::text);
    END IF;
    -- Features of parcel versions no longer current (a bulk write's are swept by the builder).
    IF every THEN
        NULL; -- parcel_feature_build(NULL, true) swept them, or the builder will
    ELSIF NOT bulk THEN
        DELETE FROM parcel_feature f WHERE f.parcel_id = ANY(ids)
            AND NOT EXISTS (SELECT 1 FROM parcel p WHERE p.id = f.parcel_id AND p.valid_to IS NULL);
        DELETE FROM parcel_feature_input f WHERE f.parcel_id = ANY(ids)
            AND NOT EXISTS (SELECT 1 FROM parcel p WHERE p.id = f.parcel_id AND p.valid_to IS NULL);
    ELSIF n <= most THEN
        DELETE FROM parcel_feature f WHERE NOT EXISTS (SELECT 1 FROM parcel p WHERE p.id = f.parcel_id AND p.valid_to IS NULL);
        DELETE FROM parcel_feature_input f WHERE NOT EXISTS (SELECT 1 FROM parcel p WHERE p.id = f.parcel_id AND p.valid_to IS NULL);
    END IF;
    UPDATE parcel_feature_state SET policy_version_id = vid WHERE policy_version_id IS DISTINCT FROM vid;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION parcel_feature_refresh() RETURNS trigger LANGUAGE plpgsql AS $$
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
DROP FUNCTION parcel_feature_rows(bigint[]);
-- Queued features are built here, as 00037 would have at commit.
SELECT parcel_feature_build(array_agg(parcel_id), true) FROM parcel_feature_queue HAVING count(*) > 0;
DROP TABLE parcel_feature_queue;
