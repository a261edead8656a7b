-- +goose Up
-- Incidents a ranger reports on patrol (issue 16, point 3): a point inside the county, when, what
-- kind (the policy's care.incident_kinds), a note and one photo (JPEG or PNG, checked by its
-- content and stored here with the media type it was found to have).
CREATE TABLE care_incident (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    ranger_id   bigint NOT NULL REFERENCES ranger (id),
    area_id     bigint REFERENCES care_area (id), -- the ranger's assignment on the day (Asia/Shanghai), if any
    occurred_at timestamptz NOT NULL,
    kind        text NOT NULL CHECK (kind ~ '^[a-z][a-z0-9_]*$'),
    note        text NOT NULL DEFAULT '' CHECK (length(note) <= 2000),
    photo       bytea NOT NULL,
    photo_type  text NOT NULL CHECK (photo_type IN ('image/jpeg', 'image/png')),
    photo_sha256 text NOT NULL,
    reported_by text NOT NULL,
    reported_at timestamptz NOT NULL DEFAULT now(),
    geom        geometry(Point, 4490) NOT NULL
);
CREATE INDEX care_incident_ranger_idx ON care_incident (ranger_id, occurred_at);
CREATE INDEX care_incident_time_idx ON care_incident (occurred_at);

-- +goose Down
DROP TABLE care_incident;
