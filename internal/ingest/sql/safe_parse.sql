-- safe_parse: the row-by-row parse of src_geometry's safe variant, for a file with a geometry
-- that cannot be read or reprojected: NULL (and the reason) for that row alone. Temporary
-- functions: they go with the import's session.
CREATE OR REPLACE FUNCTION pg_temp.ingest_geom(h text) RETURNS geometry LANGUAGE plpgsql AS $$
BEGIN
	RETURN ST_Transform(h::geometry, 4490);
EXCEPTION WHEN others THEN
	RETURN NULL;
END $$;
CREATE OR REPLACE FUNCTION pg_temp.ingest_geom_error(h text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
	PERFORM ST_Transform(h::geometry, 4490);
	RETURN NULL;
EXCEPTION WHEN others THEN
	RETURN SQLERRM;
END $$;
