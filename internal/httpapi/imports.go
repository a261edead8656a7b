package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/wuyuan-forestry/ecocomp/internal/apperr"
	"github.com/wuyuan-forestry/ecocomp/internal/audit"
	"github.com/wuyuan-forestry/ecocomp/internal/auth"
	"github.com/wuyuan-forestry/ecocomp/internal/ingest"
)

// maxUpload bounds an uploaded file (a county's zipped Shapefile is some hundred MB).
const maxUpload = 2 << 30

// maxFormField bounds the other parts of an upload (options, a mapping).
const maxFormField = 1 << 20

func (s *Server) importRoutes(r chi.Router) {
	r.Post("/api/v1/imports", s.handle(s.postImport))
	r.Get("/api/v1/imports/{id}", s.handle(s.getImport))
}

// postImport takes a multipart upload — the part "file" (.zip Shapefile set, .gpkg, .geojson,
// .json) and optional fields kind (parcels|zones), srid, encoding, layer, dry_run, full, mapping
// (JSON), area, area_kind, zone_field, site_field, value_map — and answers 202 with the id of
// the import, which runs in the background. Surveyors and administrators may upload (routeRules);
// a full import, which retires the parcels a file lacks, needs an administrator.
func (s *Server) postImport(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxUpload)
	mr, err := r.MultipartReader()
	if err != nil {
		return apperr.New(apperr.Invalid, "send the file as multipart/form-data, in a part named \"file\"")
	}
	dir, err := os.MkdirTemp("", "ecocomp-upload-*")
	if err != nil {
		return err
	}
	submitted := false
	defer func() {
		if !submitted {
			os.RemoveAll(dir)
		}
	}()
	fields := map[string]string{}
	var path, name string
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return uploadError(err)
		}
		switch part.FormName() {
		case "file":
			if path != "" {
				return apperr.BadParam("file", "send one file per import")
			}
			name = uploadName(part.FileName())
			if name == "" {
				return apperr.BadParam("file", "the file part needs a file name ending in .zip, .gpkg, .geojson or .json")
			}
			switch strings.ToLower(filepath.Ext(name)) {
			case ".zip", ".gpkg", ".geojson", ".json":
			default:
				return apperr.BadParam("file", "%q is not importable: send a zipped Shapefile set (.zip), a GeoPackage (.gpkg) or GeoJSON (.geojson, .json)", name)
			}
			path = filepath.Join(dir, name)
			if err := saveUpload(part, path); err != nil {
				return err
			}
		case "":
		default:
			b, err := io.ReadAll(io.LimitReader(part, maxFormField+1))
			if err != nil {
				return uploadError(err)
			}
			if len(b) > maxFormField {
				return apperr.BadParam(part.FormName(), "longer than %d bytes", maxFormField)
			}
			fields[part.FormName()] = string(b)
		}
		part.Close()
	}
	if path == "" {
		return apperr.BadParam("file", "the upload has no part named \"file\"")
	}
	kind, opt, err := importOptions(fields)
	if err != nil {
		return err
	}
	opt.Source = name
	if opt.Full && !principalOf(r).Has(auth.Admin) {
		return apperr.New(apperr.Forbidden, "a full import retires every parcel the file lacks: it needs the role admin")
	}
	if kind == ingest.KindZones {
		if err := ingest.CheckZoneOptions(r.Context(), s.pool, opt); err != nil {
			return err
		}
	}
	id, err := ingest.Submit(r.Context(), s.pool, s.log, kind, path, dir, opt)
	if err != nil {
		return err
	}
	submitted = true
	if err := audit.Record(r.Context(), s.pool, audit.Entry{Action: "import.submit", Entity: kind, EntityID: fmt.Sprintf("job %d", id),
		Detail: map[string]any{"file": name, "dry_run": opt.DryRun, "full": opt.Full}}); err != nil {
		return err
	}
	href := fmt.Sprintf("/api/v1/imports/%d", id)
	w.Header().Set("Location", href)
	writeJSON(w, http.StatusAccepted, map[string]any{"id": id, "kind": kind, "file": name, "status": "queued", "href": href})
	return nil
}

var unsafeName = regexp.MustCompile(`[^\p{L}\p{N}._-]+`)

// uploadName is the base name of an uploaded file, reduced to safe characters.
func uploadName(n string) string {
	n = filepath.Base(strings.ReplaceAll(n, `\`, "/"))
	n = unsafeName.ReplaceAllString(n, "_")
	if n == "." || n == "_" || strings.HasPrefix(n, ".") {
		return ""
	}
	return n
}

func saveUpload(part *multipart.Part, path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	_, err = io.Copy(f, part)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return uploadError(err)
	}
	return nil
}

func uploadError(err error) error {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return apperr.New(apperr.TooLarge, "the upload is larger than %d MiB", maxUpload>>20)
	}
	return apperr.Wrap(apperr.Invalid, err, "the multipart upload could not be read")
}

// importOptions reads the upload's option fields.
func importOptions(f map[string]string) (string, ingest.Options, error) {
	var opt ingest.Options
	kind := strings.TrimSpace(f["kind"])
	if kind == "" {
		kind = ingest.KindParcels
	}
	if kind != ingest.KindParcels && kind != ingest.KindZones {
		return "", opt, apperr.BadParam("kind", "%q is not importable; use parcels or zones", kind)
	}
	known := map[string]bool{"kind": true, "srid": true, "encoding": true, "layer": true, "dry_run": true}
	if kind == ingest.KindParcels {
		known["full"], known["mapping"] = true, true
	} else {
		for _, k := range []string{"area", "area_kind", "zone_field", "site_field", "value_map"} {
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

// getImport answers an import's status and, once it ran, its report (JSON, or the readable
// summary with ?format=text).
func (s *Server) getImport(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	if err := onlyParams(q, "format"); err != nil {
		return err
	}
	id, err := strconv.ParseInt(chi.URLParam(r, "id"), 10, 64)
	if err != nil || id <= 0 {
		return apperr.New(apperr.NotFound, "there is no import %q", chi.URLParam(r, "id"))
	}
	format, _, err := single(q, "format")
	if err != nil {
		return err
	}
	if format != "" && format != "json" && format != "text" {
		return apperr.BadParam("format", "%q is not offered; use json or text", format)
	}
	job, err := ingest.GetJob(r.Context(), s.pool, id)
	if err != nil {
		return err
	}
	if p := principalOf(r); !p.Has(auth.Admin) && (job.UserID == nil || *job.UserID != p.Actor.UserID) {
		return apperr.New(apperr.Forbidden, "import %d was submitted by someone else; a surveyor sees their own imports, an administrator all", id)
	}
	w.Header().Set("Cache-Control", "no-store")
	if format == "text" {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		var rep ingest.Report
		if len(job.Report) == 0 || json.Unmarshal(job.Report, &rep) != nil || rep.Kind == "" {
			_, err := fmt.Fprintf(w, "import %d of %s: %s\n", job.ID, job.File, job.Status)
			return err
		}
		return rep.WriteText(w)
	}
	writeJSON(w, http.StatusOK, job)
	return nil
}
