-- +goose Up
-- The stored feature of every current parcel (00037), built once here; writes keep it current.
SELECT parcel_feature_build(NULL, true);

-- +goose Down
DELETE FROM parcel_feature;
