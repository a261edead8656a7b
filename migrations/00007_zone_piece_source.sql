-- +goose Up
-- Each zone's pieces remember which geometry they were cut from, so a recompute re-splits only
-- the zones that changed.
ALTER TABLE zone_piece ADD COLUMN zone_md5 text NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE zone_piece DROP COLUMN zone_md5;
