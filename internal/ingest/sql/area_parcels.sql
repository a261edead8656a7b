-- area_parcels: the current parcels in any zone of the area $1 (its level changed: all recompute).
SELECT coalesce(array_agg(DISTINCT o.parcel_id), '{}')
FROM parcel_zone_overlap o
JOIN zone z ON z.id = o.zone_id AND z.area_id = $1
JOIN parcel p ON p.id = o.parcel_id AND p.valid_to IS NULL
