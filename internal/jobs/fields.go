package jobs

import (
	"errors"
	"strconv"
	"strings"

	"github.com/wuyuan-forestry/ecocomp/internal/apperr"
	"github.com/wuyuan-forestry/ecocomp/internal/ingest"
)

// ParseFields reads the option fields of an upload — kind (parcels|zones), county, srid,
// encoding, layer, dry_run, full, mapping (JSON); for zones area, area_kind, area_level, zone_field,
// site_field, value_map — into the import's kind and options. The fields are stored with the
// job and read again each time it runs, so a job resumed after a restart runs with exactly the
// options it was submitted with. Errors name the field at fault.
func ParseFields(f map[string]string) (string, ingest.Options, error) {
	var opt ingest.Options
	kind := strings.TrimSpace(f["kind"])
	if kind == "" {
		kind = ingest.KindParcels
	}
	if kind != ingest.KindParcels && kind != ingest.KindZones {
		return "", opt, apperr.BadParam("kind", "%q is not importable; use parcels or zones", kind)
	}
	known := map[string]bool{"kind": true, "county": true, "srid": true, "encoding": true, "layer": true, "dry_run": true}
	if kind == ingest.KindParcels {
		known["full"], known["mapping"] = true, true
	} else {
		for _, k := range []string{"area", "area_kind", "area_level", "zone_field", "site_field", "value_map"} {
			known[k] = true
		}
	}
	for k := range f {
		if !known[k] {
			return "", opt, apperr.BadParam(k, "not an option of a %s import", kind)
		}
	}
	if v := strings.TrimSpace(f["srid"]); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			return "", opt, apperr.BadParam("srid", "%q is not an EPSG code such as 4548", v)
		}
		opt.SRID = n
	}
	if v := strings.TrimSpace(f["encoding"]); v != "" {
		e, ok := ingest.NormalizeEncoding(v)
		if !ok {
			return "", opt, apperr.BadParam("encoding", "%q is not offered; use GBK, GB18030, UTF-8, BIG5 or CP1252", v)
		}
		opt.Encoding = e
	}
	opt.Layer = strings.TrimSpace(f["layer"])
	var err error
	if opt.DryRun, err = boolField(f, "dry_run"); err != nil {
		return "", opt, err
	}
	if opt.Full, err = boolField(f, "full"); err != nil {
		return "", opt, err
	}
	if v := strings.TrimSpace(f["mapping"]); v != "" {
		m, err := ingest.ParseMapping([]byte(v))
		if err != nil {
			return "", opt, &apperr.Error{Code: apperr.Invalid, Param: "mapping", Detail: plainDetail(err)}
		}
		opt.Mapping = m
	}
	if kind == ingest.KindZones {
		opt.Area, opt.AreaKind = strings.TrimSpace(f["area"]), strings.TrimSpace(f["area_kind"])
		opt.AreaLevel = strings.TrimSpace(f["area_level"])
		opt.ZoneField, opt.SiteField = strings.TrimSpace(f["zone_field"]), strings.TrimSpace(f["site_field"])
		vm, err := ingest.ParseValueMap(f["value_map"])
		if err != nil {
			return "", opt, apperr.BadParam("value_map", "%s", err)
		}
		opt.ValueMap = vm
	}
	return kind, opt, nil
}

func boolField(f map[string]string, name string) (bool, error) {
	v := strings.TrimSpace(f[name])
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, apperr.BadParam(name, "%q is not true or false", v)
	}
	return b, nil
}

func plainDetail(err error) string {
	var ae *apperr.Error
	if errors.As(err, &ae) {
		return ae.Detail
	}
	return err.Error()
}
