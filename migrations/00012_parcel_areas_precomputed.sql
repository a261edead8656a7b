-- +goose Up
-- area_m2 and area_plane_m2 were generated columns, computed in the one process that inserts
-- (0.9 s for a county of 100,000 parcels, about a third of the insert). An import already
-- computes both areas on parallel workers while it validates (the planar area is what MIAN_JI is
-- checked against), so they become ordinary columns kept by a trigger:
--   * an INSERT that leaves them NULL gets them computed;
--   * an INSERT may supply them, computed with exactly these expressions (the import does, from
--     the geometry it inserts);
--   * an UPDATE of geom recomputes them, whatever the UPDATE says.
-- Every writer in this repository either omits them or computes them with parcel_area_m2 and
-- parcel_area_plane_m2 below, so the expressions live in one place.

-- +goose StatementBegin
CREATE FUNCTION parcel_area_m2(g geometry) RETURNS double precision
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT ST_Area(ST_Transform(g, 102025))
$$;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE FUNCTION parcel_area_plane_m2(g geometry) RETURNS double precision
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT ST_Area(ST_Transform(g, 4548))
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION parcel_areas() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' OR NEW.area_m2 IS NULL OR NEW.area_plane_m2 IS NULL THEN
        NEW.area_m2 := parcel_area_m2(NEW.geom);
        NEW.area_plane_m2 := parcel_area_plane_m2(NEW.geom);
    END IF;
    RETURN NEW;
END
$$;
-- +goose StatementEnd

ALTER TABLE parcel ALTER COLUMN area_m2 DROP EXPRESSION,
    ALTER COLUMN area_plane_m2 DROP EXPRESSION;
ALTER TABLE parcel ALTER COLUMN area_m2 SET NOT NULL,
    ALTER COLUMN area_plane_m2 SET NOT NULL;
CREATE TRIGGER parcel_areas_insert BEFORE INSERT ON parcel
    FOR EACH ROW EXECUTE FUNCTION parcel_areas();
CREATE TRIGGER parcel_areas_update BEFORE UPDATE OF geom ON parcel
    FOR EACH ROW EXECUTE FUNCTION parcel_areas();

-- +goose Down
DROP TRIGGER parcel_areas_update ON parcel;
DROP TRIGGER parcel_areas_insert ON parcel;
DROP FUNCTION parcel_areas;
DROP VIEW parcel_current;
ALTER TABLE parcel DROP COLUMN area_m2, DROP COLUMN area_plane_m2;
ALTER TABLE parcel
    ADD COLUMN area_m2 double precision GENERATED ALWAYS AS (ST_Area(ST_Transform(geom, 102025))) STORED,
    ADD COLUMN area_plane_m2 double precision GENERATED ALWAYS AS (ST_Area(ST_Transform(geom, 4548))) STORED;
CREATE VIEW parcel_current AS SELECT * FROM parcel WHERE valid_to IS NULL;
DROP FUNCTION parcel_area_plane_m2;
DROP FUNCTION parcel_area_m2;
