-- extra_screen: for each field kept as extra, how many of its values look like personal data
-- (an ID-card, bank-card or mobile number: looks_like_personal_data, migration 00016) and the
-- first row that has one, in one scan of the staging table.
SELECT {{join . ", "}} FROM ingest_stage s
