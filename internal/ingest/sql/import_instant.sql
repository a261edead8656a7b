-- import_instant: the one instant every version of the import starts (and every replaced one ends) at.
SELECT clock_timestamp()
