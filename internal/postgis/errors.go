package postgis

import (
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
)

// constraintSentences says in words what each named constraint protects. The database message is
// correct but reads like SQL; people importing parcels deserve the sentence.
var constraintSentences = map[string]string{
	"parcel_geom_valid":       "the parcel geometry is empty or invalid (self-intersection, bad ring nesting); repair it (e.g. ST_MakeValid) before loading",
	"admin_unit_geom_valid":   "the administrative boundary is empty or invalid; repair it before loading",
	"zone_geom_valid":         "the zone geometry is empty or invalid; repair it before loading",
	"parcel_current_code":     "a current parcel with this code already exists; retire or version the old one instead of inserting a duplicate",
	"parcel_known_codes":      "the parcel carries a code that is not in the code dictionary",
	"parcel_mian_ji_positive": "MIAN_JI (legal area, ha) must be greater than zero",
	"parcel_valid_period":     "a parcel version must end after it starts (valid_to > valid_from)",
	"zone_kind_fits_area":     "this zone kind does not exist for this kind of protected area",
}

// Explain turns a database error into one line a person can act on. Constraint violations are
// named in words; other server errors keep PostgreSQL's message and hint; everything else passes.
func Explain(err error) string {
	if err == nil {
		return ""
	}
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) {
		return err.Error()
	}
	if s, ok := constraintSentences[pgErr.ConstraintName]; ok {
		if pgErr.ConstraintName == "parcel_known_codes" {
			return fmt.Sprintf("%s: %s", s, pgErr.Message)
		}
		if pgErr.Detail != "" && pgErr.Code == "23505" {
			return fmt.Sprintf("%s (%s)", s, pgErr.Detail)
		}
		return s
	}
	msg := pgErr.Message
	if strings.Contains(msg, "does not match column SRID") {
		msg += "; transform the geometry to EPSG:4490 (CGCS2000) first"
	}
	if pgErr.Hint != "" {
		msg += "; " + pgErr.Hint
	}
	return msg
}
