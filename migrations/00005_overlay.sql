-- +goose Up
-- Parcel × zone overlays. Zones are pre-split into small pieces (ST_Subdivide) so that each
-- intersection test and area works on a few hundred vertices instead of a whole reserve.

CREATE TABLE zone_piece (
    id      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    zone_id bigint NOT NULL REFERENCES zone (id) ON DELETE CASCADE,
    geom    geometry(Polygon, 4490) NOT NULL
);
CREATE INDEX zone_piece_geom_idx ON zone_piece USING gist (geom);
CREATE INDEX zone_piece_zone_idx ON zone_piece (zone_id);

-- The overlap of one parcel version with one zone, ellipsoidal m², and its share of the parcel.
-- Rows of retired parcel versions are kept: a decision can be replayed as of a past date.
CREATE TABLE parcel_zone_overlap (
    parcel_id   bigint NOT NULL REFERENCES parcel (id) ON DELETE CASCADE,
    zone_id     bigint NOT NULL REFERENCES zone (id) ON DELETE CASCADE,
    overlap_m2  double precision NOT NULL CHECK (overlap_m2 > 0),
    share       double precision NOT NULL CHECK (share > 0 AND share <= 1.000001),
    computed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (parcel_id, zone_id)
);
CREATE INDEX parcel_zone_overlap_zone_idx ON parcel_zone_overlap (zone_id);

-- +goose Down
DROP TABLE parcel_zone_overlap;
DROP TABLE zone_piece;
