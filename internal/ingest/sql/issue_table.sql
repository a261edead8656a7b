-- issue_table: what the checks find, one row per finding, later the report's lines
-- (collect_issues.sql). The staged rows of both kinds of import live in ingest_src (row, key,
-- county, g0, geom_error, state, g …).
CREATE UNLOGGED TABLE ingest_issue (
	row integer NOT NULL, key text, severity text NOT NULL, check_id text NOT NULL, message text NOT NULL,
	area_m2 double precision, other_row integer, other_key text)
