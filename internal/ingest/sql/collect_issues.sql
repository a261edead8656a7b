-- collect_issues: the findings of the checks, in the report's order.
SELECT row, coalesce(key, ''), severity, check_id, message, area_m2, coalesce(other_row, 0), coalesce(other_key, '')
FROM ingest_issue
ORDER BY row, check_id, other_row
