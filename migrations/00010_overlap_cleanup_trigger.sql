-- +goose Up
-- Foreign keys from parcel_zone_overlap lock the referenced parcel and zone rows (FOR KEY SHARE)
-- for every overlap written: a sizeable part of the overlay step of a recompute. Overlaps are
-- only ever written from a join of parcels with zone pieces, so the key checks add nothing; the
-- cleanup they gave on delete (parcels are retired, not deleted — only a demo --replace deletes
-- them; a zones import replaces an area's zones) is done by triggers now.
ALTER TABLE parcel_zone_overlap DROP CONSTRAINT parcel_zone_overlap_parcel_id_fkey;
ALTER TABLE parcel_zone_overlap DROP CONSTRAINT parcel_zone_overlap_zone_id_fkey;

-- +goose StatementBegin
CREATE FUNCTION parcel_overlap_cleanup() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM parcel_zone_overlap o USING old_rows d WHERE o.parcel_id = d.id;
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER parcel_overlap_cleanup AFTER DELETE ON parcel
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION parcel_overlap_cleanup();

-- +goose StatementBegin
CREATE FUNCTION zone_overlap_cleanup() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM parcel_zone_overlap o USING old_rows d WHERE o.zone_id = d.id;
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER zone_overlap_cleanup AFTER DELETE ON zone
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION zone_overlap_cleanup();

-- +goose Down
DROP TRIGGER zone_overlap_cleanup ON zone;
DROP FUNCTION zone_overlap_cleanup;
DROP TRIGGER parcel_overlap_cleanup ON parcel;
DROP FUNCTION parcel_overlap_cleanup;
ALTER TABLE parcel_zone_overlap ADD CONSTRAINT parcel_zone_overlap_zone_id_fkey
    FOREIGN KEY (zone_id) REFERENCES zone (id) ON DELETE CASCADE;
ALTER TABLE parcel_zone_overlap ADD CONSTRAINT parcel_zone_overlap_parcel_id_fkey
    FOREIGN KEY (parcel_id) REFERENCES parcel (id) ON DELETE CASCADE;
