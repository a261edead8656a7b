-- A database role for the ecocomp server that cannot rewrite history.
--
-- The schema belongs to the role that runs `ecocomp migrate` (the owner). The server should
-- connect as another role, ecocomp_app, which may read and write the data but owns nothing: it
-- cannot ALTER, DISABLE TRIGGER or DROP on audit_log, and holds no UPDATE, DELETE or TRUNCATE
-- on it, so the append-only triggers and the hash chain stay in force for everything the
-- application does. Run this as the owner after every `ecocomp migrate` (it is idempotent):
--
--   psql "postgres://OWNER@HOST/ecocomp" -f docs/db-roles.sql
--   psql "postgres://OWNER@HOST/ecocomp" -c "\password ecocomp_app"
--
-- then give the server DATABASE_URL=postgres://ecocomp_app:…@HOST/ecocomp and keep the owner's
-- password off the server. internal/audit/roles_test.go runs this file and checks the result.

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'ecocomp_app') THEN
        CREATE ROLE ecocomp_app LOGIN;
    END IF;
END
$$;

-- Imports stage surveyor files in a schema of their own, made and dropped per import.
DO $$ BEGIN EXECUTE format('GRANT CONNECT, CREATE, TEMPORARY ON DATABASE %I TO ecocomp_app', current_database()); END $$;
GRANT USAGE ON SCHEMA public TO ecocomp_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ecocomp_app;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO ecocomp_app;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA public TO ecocomp_app;

-- The audit trail: read and append only.
REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM ecocomp_app;
REVOKE TRUNCATE ON ALL TABLES IN SCHEMA public FROM ecocomp_app;
