-- protected_area_level: the area's ($1) new level ($2).
UPDATE protected_area SET level = $2 WHERE id = $1
