-- zones_delete: the area's zones the file no longer has ($1).
DELETE FROM zone WHERE id = ANY($1)
