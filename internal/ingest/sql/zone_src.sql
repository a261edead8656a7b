-- zone_src: ingest_src of a zone import: each row's zone value (its kind, resolved later by
-- resolve_zone_kinds) and site; src_geometry.sql adds the geometry. Zones are checked against
-- every loaded county ('*').
CREATE UNLOGGED TABLE ingest_src AS
WITH attrs AS (
	SELECT s._row AS row,
		NULLIF(btrim(s.{{ident .ZoneField}}::text), '') AS value,
		{{if .SiteField}}coalesce(NULLIF(btrim(s.{{ident .SiteField}}::text), ''), ''){{else}}''{{end}} AS site,
		coalesce(NULLIF(btrim(s.{{ident .ZoneField}}::text), ''), '?') AS key,
		'*'::text AS county, NULL::text AS kind, s._geom
	FROM ingest_stage s
)
{{- template "src_geometry" .}}
