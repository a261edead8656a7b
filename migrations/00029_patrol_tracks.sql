-- +goose Up
-- Rangers' patrol tracks (issue 16, point 3): uploaded as GPX or posted as GeoJSON by a phone
-- app, validated (time order, plausible speed, inside the county) and measured against the
-- area the ranger looked after on the track's day. The line keeps each point's time as its M
-- value (seconds since 1970-01-01 UTC).
CREATE TABLE patrol_track (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    ranger_id   bigint NOT NULL REFERENCES ranger (id),
    area_id     bigint REFERENCES care_area (id), -- the assignment in force on the start day (Asia/Shanghai), if any
    started_at  timestamptz NOT NULL,
    ended_at    timestamptz NOT NULL,
    points      integer NOT NULL CHECK (points >= 2),
    length_m    double precision NOT NULL CHECK (length_m >= 0), -- EPSG:4548
    source      text NOT NULL CHECK (source IN ('gpx', 'geojson')),
    uploaded_by text NOT NULL,
    uploaded_at timestamptz NOT NULL DEFAULT now(),
    geom        geometry(LineStringM, 4490) NOT NULL,
    CONSTRAINT patrol_track_time_order CHECK (ended_at > started_at)
);
CREATE INDEX patrol_track_ranger_idx ON patrol_track (ranger_id, started_at);
CREATE INDEX patrol_track_geom_idx ON patrol_track USING gist (geom);

-- +goose Down
DROP TABLE patrol_track;
