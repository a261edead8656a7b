package httpapi

import (
	"context"
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
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"

	"github.com/wuyuan-forestry/ecocomp/internal/apperr"
	"github.com/wuyuan-forestry/ecocomp/internal/audit"
	"github.com/wuyuan-forestry/ecocomp/internal/auth"
	"github.com/wuyuan-forestry/ecocomp/internal/ingest"
	"github.com/wuyuan-forestry/ecocomp/internal/jobs"
)

// maxUpload bounds an uploaded file (a county's zipped Shapefile is some hundred MB).
const maxUpload = 2 << 30

// maxFormField bounds the other parts of an upload (options, a mapping).
const maxFormField = 1 << 20

func (s *Server) importRoutes(r chi.Router) {
	s.jobs = jobs.NewRunner(s.pool, s.log, jobs.Settings{Workers: jobs.DefaultWorkers, MaxFeatures: s.cfg.ImportMaxFeatures})
	r.Post("/api/v1/imports", s.handle(s.postImport))
	r.Get("/api/v1/imports/{id}", s.handle(s.getImport))
	r.Delete("/api/v1/imports/{id}", s.handle(s.deleteImport))
}

// StartJobs makes the server's import workers sweep for interrupted jobs and claim queued ones
// (also those submitted to other instances) every few seconds until ctx ends; a server that was
// not started still runs the jobs submitted to it. Serve calls it.
func (s *Server) StartJobs(ctx context.Context) { s.jobs.Start(ctx) }

// DrainJobs stops taking import jobs, waits up to grace for the running ones, then cancels them
// (they roll back and are queued again for the next start). Serve calls it on shutdown.
func (s *Server) DrainJobs(grace time.Duration) { s.jobs.Drain(grace) }

// postImport takes a multipart upload — the part "file" (.zip Shapefile set, .gpkg, .geojson,
// .json) and optional fields kind (parcels|zones), county, srid, encoding, layer, dry_run, full,
// mapping (JSON), area, area_kind, area_level, zone_field, site_field, value_map — and answers 202 with the
// id of the import, a durable job that runs in the background (one per county at a time).
// Surveyors and administrators may upload (routeRules); a full import, which retires the parcels
// a file lacks, needs an administrator.
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
	// The job keeps its own copy of the upload in the database.
	defer os.RemoveAll(dir)
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
	kind, opt, err := jobs.ParseFields(fields)
	if err != nil {
		return err
	}
	if opt.Full && !principalOf(r).Has(auth.Admin) {
		return apperr.New(apperr.Forbidden, "a full import retires every parcel the file lacks: it needs the role admin")
	}
	if kind == ingest.KindZones {
		if err := ingest.CheckZoneOptions(r.Context(), s.pool, opt); err != nil {
			return err
		}
	}
	county, err := jobs.ResolveCounty(r.Context(), s.pool, fields["county"])
	if err != nil {
		return err
	}
	id, err := jobs.Submit(r.Context(), s.pool, jobs.Submission{Kind: kind, File: name, Path: path, Fields: fields, County: county,
		Request: audit.Request{ID: middleware.GetReqID(r.Context()), ClientAddr: clientAddr(r)}})
	if err != nil {
		return err
	}
	s.jobs.Kick()
	if err := audit.Record(r.Context(), s.pool, audit.Entry{Action: "import.submit", Entity: kind, EntityID: fmt.Sprintf("job %d", id),
		Detail: map[string]any{"file": name, "dry_run": opt.DryRun, "full": opt.Full, "county": county}}); err != nil {
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

func plainDetail(err error) string {
	var ae *apperr.Error
	if errors.As(err, &ae) {
		return ae.Detail
	}
	return err.Error()
}

// importID is the {id} of an import route; anything else is no import at all.
func importID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(chi.URLParam(r, "id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, apperr.New(apperr.NotFound, "there is no import %q", chi.URLParam(r, "id"))
	}
	return id, nil
}

// ownImport returns import id when the caller may see and cancel it: the submitter, or an
// administrator.
func (s *Server) ownImport(r *http.Request, id int64) (*jobs.Job, error) {
	job, err := jobs.Get(r.Context(), s.pool, id)
	if err != nil {
		return nil, err
	}
	if p := principalOf(r); !p.Has(auth.Admin) && (job.UserID == nil || *job.UserID != p.Actor.UserID) {
		return job, apperr.New(apperr.Forbidden, "import %d was submitted by someone else; a surveyor sees and cancels their own imports, an administrator all", id)
	}
	return job, nil
}

// getImport answers an import's status — with its queue position while it waits, its phase while
// it runs, a note when it was interrupted — and, once it ended, its report (JSON, or the readable
// summary with ?format=text).
func (s *Server) getImport(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	if err := onlyParams(q, "format"); err != nil {
		return err
	}
	id, err := importID(r)
	if err != nil {
		return err
	}
	format, _, err := single(q, "format")
	if err != nil {
		return err
	}
	if format != "" && format != "json" && format != "text" {
		return apperr.BadParam("format", "%q is not offered; use json or text", format)
	}
	job, err := s.ownImport(r, id)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	if format == "text" {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		var rep ingest.Report
		if len(job.Report) == 0 || json.Unmarshal(job.Report, &rep) != nil || rep.Kind == "" || job.Status == jobs.Cancelled {
			_, err := fmt.Fprintf(w, "import %d of %s: %s\n", job.ID, job.File, job.Status)
			if err == nil && job.Note != "" {
				_, err = fmt.Fprintf(w, "  %s\n", job.Note)
			}
			if err == nil && rep.Reason != "" {
				_, err = fmt.Fprintf(w, "  %s\n", rep.Reason)
			}
			return err
		}
		return rep.WriteText(w)
	}
	writeJSON(w, http.StatusOK, job)
	return nil
}

// cancelWait is how long DELETE waits for a running import to roll back before it answers 202.
const cancelWait = 15 * time.Second

// deleteImport cancels an import: the submitter's or, for an administrator, anyone's. A queued
// import is cancelled at once; a running one is stopped and its transaction rolled back, which
// the answer waits for (up to cancelWait; then 202, and GET tells the end). Nothing of a
// cancelled import is written. A finished import is a conflict. Audited as import.cancel.
func (s *Server) deleteImport(w http.ResponseWriter, r *http.Request) error {
	if err := onlyParams(r.URL.Query()); err != nil {
		return err
	}
	id, err := importID(r)
	if err != nil {
		return err
	}
	job, err := s.ownImport(r, id)
	if err != nil {
		if apperr.CodeOf(err) == apperr.Forbidden {
			if aerr := audit.Record(r.Context(), s.pool, audit.Entry{Action: "import.cancel", Entity: job.Kind, EntityID: fmt.Sprintf("job %d", id),
				Outcome: audit.Denied, Detail: map[string]any{"reason": "submitted by someone else"}}); aerr != nil {
				return aerr
			}
		}
		return err
	}
	was, err := jobs.Cancel(r.Context(), s.pool, id)
	if err != nil {
		if apperr.CodeOf(err) == apperr.Conflict {
			if aerr := audit.Record(r.Context(), s.pool, audit.Entry{Action: "import.cancel", Entity: job.Kind, EntityID: fmt.Sprintf("job %d", id),
				Outcome: audit.Failed, Detail: map[string]any{"reason": "already ended", "status": was}}); aerr != nil {
				return aerr
			}
		}
		return err
	}
	if was == jobs.Running {
		s.jobs.Cancel(id)
		// Written now that the cancellation is on its way: the import being cancelled may hold the
		// audit chain until its transaction ends.
		if err := audit.Record(r.Context(), s.pool, audit.Entry{Action: "import.cancel", Entity: job.Kind, EntityID: fmt.Sprintf("job %d", id),
			Detail: map[string]any{"was": was, "phase": job.Phase}}); err != nil {
			return err
		}
	}
	deadline := time.Now().Add(cancelWait)
	for {
		if job, err = jobs.Get(r.Context(), s.pool, id); err != nil {
			return err
		}
		if job.Done() || time.Now().After(deadline) {
			break
		}
		select {
		case <-r.Context().Done():
			return r.Context().Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	w.Header().Set("Cache-Control", "no-store")
	status := http.StatusOK
	if !job.Done() {
		status = http.StatusAccepted
	}
	writeJSON(w, status, job)
	return nil
}
