-- parcels_to_retire: a full import retires the current parcels of its counties ($1) that the
-- file does not have; this counts them.
SELECT count(*) FROM parcel p
WHERE p.valid_to IS NULL AND p.xian = ANY($1) AND NOT EXISTS (SELECT 1 FROM ingest_src f WHERE f.code = p.code)
