-- +goose Up
-- A foreign key from parcel_zone_overlap to parcel locks every referenced parcel row (FOR KEY
-- SHARE) as overlaps are written: a fifth of the overlay step of a recompute. Overlaps are only
-- ever written from a join with parcel, so the key check adds nothing; the cleanup it gave on
-- delete (parcels are retired, not deleted — only a demo --replace deletes) is a trigger now.
ALTER TABLE parcel_zone_overlap DROP CONSTRAINT parcel_zone_overlap_parcel_id_fkey;

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

-- +goose Down
DROP TRIGGER parcel_overlap_cleanup ON parcel;
DROP FUNCTION parcel_overlap_cleanup;
ALTER TABLE parcel_zone_overlap ADD CONSTRAINT parcel_zone_overlap_parcel_id_fkey
    FOREIGN KEY (parcel_id) REFERENCES parcel (id) ON DELETE CASCADE;
