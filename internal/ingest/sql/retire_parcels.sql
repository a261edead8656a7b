-- retire_parcels: a full import closes, at the import instant $1, the current parcels of its
-- counties ($2) that the file does not have.
UPDATE parcel p SET valid_to = $1
WHERE p.valid_to IS NULL AND p.xian = ANY($2) AND NOT EXISTS (SELECT 1 FROM ingest_src f WHERE f.code = p.code)
