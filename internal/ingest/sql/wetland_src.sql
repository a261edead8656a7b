-- wetland_src: ingest_src of a wetland import: each row's type value (a GB/T 24708 code or name,
-- resolved by wetland_resolve.sql), importance value, patch code and name; src_geometry.sql adds
-- the geometry. Patches are checked against every loaded county ('*'). The key is the patch
-- code, or the row number when the file has none.
CREATE UNLOGGED TABLE ingest_src AS
WITH attrs AS (
	SELECT s._row AS row,
		NULLIF(btrim(s.{{ident .TypeField}}::text), '') AS type_value,
		NULLIF(btrim(s.{{ident .ImportanceField}}::text), '') AS importance_value,
		{{if .CodeField}}coalesce(NULLIF(btrim(s.{{ident .CodeField}}::text), ''), ''){{else}}''{{end}} AS code,
		{{if .NameField}}coalesce(NULLIF(btrim(s.{{ident .NameField}}::text), ''), ''){{else}}''{{end}} AS name,
		{{if .CodeField}}coalesce(NULLIF(btrim(s.{{ident .CodeField}}::text), ''), '#' || s._row){{else}}'#' || s._row{{end}} AS key,
		'*'::text AS county, NULL::text AS type_code, NULL::text AS importance, s._geom
	FROM ingest_stage s
)
{{- template "src_geometry" .}}
