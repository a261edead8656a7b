-- protected_area: the area the zones belong to ($1, by name), if it exists.
SELECT id, area_kind, demo, level FROM protected_area WHERE name = $1
