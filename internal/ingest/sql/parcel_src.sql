-- parcel_src: ingest_src of a parcel import, the file's rows read as parcels. Each step is a CTE,
-- which PostgreSQL inlines (a CTE used once is no fence), so parallel workers scan ingest_stage
-- and do the per-row work; src_geometry.sql adds the geometry.
--
-- raw: each field the plan maps, as text, trimmed, NULL when empty: r_<field> for the key, the
-- legal area and the numbers (normalised in norm), the stored name for codes (translated later:
-- translate_codes.sql); extra: the fields kept by name (the names are bound parameters; a
-- function takes at most 100 arguments, hence several jsonb_build_object).
CREATE UNLOGGED TABLE ingest_src AS
WITH raw AS (
	SELECT s._row AS row{{range .Raw}},
		{{.}}{{end}},
		{{.Extra}} AS extra,
		s._geom
	FROM ingest_stage s
),
-- norm: the key normalised: full township or village codes cut to their own digits, short numbers
-- padded (a number column loses leading zeros); regular expressions only where a value is short
-- (a county has 100,000 rows, and every expression here runs once per use). MIAN_JI and the
-- numbers parsed: a value that is not a plain non-negative number under the field's bound is NULL
-- (an error for MIAN_JI, a warning for the numbers: parcel_attribute_issues.sql). A file with a
-- per-hectare stock (HUO_LMGQXJ) and no XU_JI gets MIAN_JI × it.
norm AS (
	SELECT r.*, r.r_xian AS xian,
		CASE WHEN length(r.r_xiang) = 9 AND left(r.r_xiang, 6) = r.r_xian THEN right(r.r_xiang, 3)
		     ELSE {{pad "r.r_xiang" 3}} END AS xiang,
		CASE WHEN length(r.r_cun) = 12 AND left(r.r_cun, 6) = r.r_xian THEN right(r.r_cun, 3)
		     ELSE {{pad "r.r_cun" 3}} END AS cun,
		{{pad "r.r_lin_ban" 4}} AS lin_ban,
		{{pad "r.r_xiao_ban" 5}} AS xiao_ban,
		{{num "r.r_mian_ji" "1e9" 4}} AS mian_ji{{range .Numbers}},
		{{if .PerHectare}}round(({{num "r.r_huo_lmgqxj" "1e6" 4}}) * ({{num "r.r_mian_ji" "1e9" 4}}), 1){{else}}{{num (print "r.r_" .Property) .Max .Scale}}{{end}} AS {{.Property}}{{end}}
	FROM raw r
),
-- keyed: the parcel code, when the key is complete and well-formed.
keyed AS (
	SELECT n.*,
		CASE WHEN length(n.xian) = 6 AND length(n.xiang) = 3 AND length(n.cun) = 3
			AND n.lin_ban IS NOT NULL AND n.xiao_ban IS NOT NULL AND n.xian || n.xiang || n.cun ~ '^[0-9]{12}$'
		THEN n.xian || n.xiang || n.cun || n.lin_ban || n.xiao_ban END AS code
	FROM norm n
),
-- attrs: the columns kept. key names the row in the report (the code, or what the file gave of
-- it); county is the county its placement is checked against.
attrs AS (
	SELECT k.row, k.r_xian, k.r_xiang, k.r_cun, k.r_lin_ban, k.r_xiao_ban, k.r_mian_ji{{range .Numbers}}, k.r_{{.Property}}{{end}},
		k.xian, k.xiang, k.cun, k.lin_ban, k.xiao_ban, k.code,
		coalesce(k.code, concat_ws('/', coalesce(k.r_xian, '?'), coalesce(k.r_xiang, '?'), coalesce(k.r_cun, '?'),
			coalesce(k.r_lin_ban, '?'), coalesce(k.r_xiao_ban, '?'))) AS key,
		k.xian AS county, k.mian_ji{{range .Stored}}, k.{{.}}{{end}}, k.extra, k._geom
	FROM keyed k
)
{{- template "src_geometry" .}}
