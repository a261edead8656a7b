-- wetland_replace: the patches of the inventory being replaced: those of the protected area $1,
-- or, when $1 is NULL, those recorded without one. Patches are a layer, not history: debits
-- keep the figures they were computed with.
DELETE FROM wetland_patch WHERE area_id IS NOT DISTINCT FROM $1::bigint
