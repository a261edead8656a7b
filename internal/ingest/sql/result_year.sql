-- result_year: the year of the latest recompute, whose results the import's new versions join.
SELECT year FROM recompute_run ORDER BY id DESC LIMIT 1
