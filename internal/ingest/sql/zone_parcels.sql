-- zone_parcels: the current parcels in the zones $1 (about to be deleted: they recompute).
SELECT coalesce(array_agg(DISTINCT o.parcel_id), '{}')
FROM parcel_zone_overlap o
JOIN parcel p ON p.id = o.parcel_id AND p.valid_to IS NULL
WHERE o.zone_id = ANY($1)
