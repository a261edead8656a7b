-- +goose Up
-- The year's change (issue 17) reads the parcel versions that began or ended between two dates:
-- indexes on the validity bounds find them without reading the whole history.
CREATE INDEX parcel_valid_from ON parcel (valid_from);
CREATE INDEX parcel_valid_to ON parcel (valid_to) WHERE valid_to IS NOT NULL;

-- +goose Down
DROP INDEX parcel_valid_to;
DROP INDEX parcel_valid_from;
