-- +goose Up
-- The commit-time rebuild of stored parcel features (00037) no longer fingerprints parcels that
-- have no stored fingerprint: a new parcel version is always built, and the build fingerprints
-- it once. An import of 100,000 new parcels checked each one's inputs and then computed them
-- again in the build; now only features already stored are compared (features.StaleSQL). The
-- build itself (features.BuildSQL) is unchanged: no feature is rebuilt by this migration.
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION parcel_feature_build(ids bigint[], force boolean) RETURNS bigint LANGUAGE plpgsql SET jit = off AS $f$
DECLARE
    n    bigint := 0;
    todo bigint[] := ids;
BEGIN
    IF NOT force THEN
        EXECUTE $stale$SELECT coalesce(array_agg(c.id), '{}') FROM (
SELECT p.id
FROM parcel p
LEFT JOIN parcel_feature_input f ON f.parcel_id = p.id
LEFT JOIN parcel_eligibility el ON el.parcel_id = p.id AND el.policy_version_id = (SELECT policy_version_id FROM recompute_run WHERE scope = 'all' ORDER BY id DESC LIMIT 1)
WHERE p.valid_to IS NULL AND ($1::bigint[] IS NULL OR p.id = ANY($1::bigint[]))
  AND (f.inputs IS NULL OR f.inputs <> concat_ws('|', p.xmin::text, el.eligible, el.status, el.priority,
	(SELECT string_agg(o.zone_id || ':' || o.overlap_m2 || ':' || o.share, ',' ORDER BY o.zone_id) FROM parcel_zone_overlap o WHERE o.parcel_id = p.id)))
) c (id)$stale$ INTO todo USING ids;
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

-- +goose Down
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION parcel_feature_build(ids bigint[], force boolean) RETURNS bigint LANGUAGE plpgsql SET jit = off AS $f$
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
