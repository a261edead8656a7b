package httpapi

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"

	"github.com/go-chi/chi/v5"

	"github.com/wuyuan-forestry/ecocomp/internal/apperr"
	"github.com/wuyuan-forestry/ecocomp/internal/pilot"
)

// pilotRoutes are the pilot's indicator board (issue 17, point 4).
func (s *Server) pilotRoutes(r chi.Router) {
	r.Get("/api/v1/pilot/indicators", s.handle(s.pilotIndicators))
	r.Get("/api/v1/pilot/tasks", s.handle(s.pilotTasks))
	r.Post("/api/v1/pilot/indicators/{id}/entries", s.handle(s.pilotEntry))
	r.Post("/api/v1/pilot/tasks/{code}/updates", s.handle(s.pilotTaskUpdate))
	r.Get("/api/v1/pilot/entries/{id}/evidence", s.handle(s.pilotEvidence))
	r.Get("/api/v1/pilot/ledger.xlsx", s.handle(s.pilotLedger))
}

func (s *Server) pilotIndicators(w http.ResponseWriter, r *http.Request) error {
	if err := onlyParams(r.URL.Query()); err != nil {
		return err
	}
	b, err := pilot.Indicators(r.Context(), s.pool)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, b)
	return nil
}

func (s *Server) pilotTasks(w http.ResponseWriter, r *http.Request) error {
	if err := onlyParams(r.URL.Query()); err != nil {
		return err
	}
	tl, err := pilot.Tasks(r.Context(), s.pool)
	if err != nil {
		return err
	}
	if tl.MyUnits, err = pilot.MyUnits(r.Context(), s.pool, principalOf(r).Actor.UserID); err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, tl)
	return nil
}

// pilotTaskUpdate takes a task's status update as JSON: {status, on, note, unit, plan_year,
// plan_work}.
func (s *Server) pilotTaskUpdate(w http.ResponseWriter, r *http.Request) error {
	if err := onlyParams(r.URL.Query()); err != nil {
		return err
	}
	var req pilot.TaskUpdateRequest
	if err := readWetlandBody(w, r, &req, 16<<10, `a JSON object {"status", "on" (YYYY-MM-DD), "note", optional "unit", "plan_year" and "plan_work"}`); err != nil {
		return err
	}
	u, err := pilot.AddTaskUpdate(r.Context(), s.pool, principalOf(r), chi.URLParam(r, "code"), req)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, u)
	return nil
}

// pilotEntry takes a progress entry as multipart/form-data: the fields "on", "value", "unit"
// (optional), "note" (optional) and the evidence file in a part "evidence" (optional).
func (s *Server) pilotEntry(w http.ResponseWriter, r *http.Request) error {
	if err := onlyParams(r.URL.Query()); err != nil {
		return err
	}
	const limit = pilot.MaxEvidence + 64<<10
	tooBig := apperr.New(apperr.TooLarge, "the evidence file is larger than %d MiB: scan at a lower resolution or split it", pilot.MaxEvidence>>20)
	if r.ContentLength > limit {
		return tooBig
	}
	r.Body = http.MaxBytesReader(w, r.Body, limit)
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "multipart/form-data" {
		return apperr.New(apperr.Invalid, `send the entry as multipart/form-data: fields "on" (YYYY-MM-DD), "value", optional "unit" and "note", the evidence file in a part named "evidence"`)
	}
	mr, err := r.MultipartReader()
	if err != nil {
		return apperr.Wrap(apperr.Invalid, err, "the multipart upload could not be read")
	}
	var req pilot.EntryRequest
	fail := func(err error) error {
		var mb *http.MaxBytesError
		if errors.As(err, &mb) {
			return tooBig
		}
		return apperr.Wrap(apperr.Invalid, err, "the multipart upload could not be read")
	}
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fail(err)
		}
		name := part.FormName()
		if name == "evidence" {
			if req.Evidence != nil {
				return apperr.BadParam("evidence", "attach one file per entry")
			}
			req.EvidenceName = part.FileName()
			var buf bytes.Buffer
			if _, err := io.Copy(&buf, io.LimitReader(part, pilot.MaxEvidence+1)); err != nil {
				return fail(err)
			}
			if buf.Len() > pilot.MaxEvidence {
				return tooBig
			}
			req.Evidence = buf.Bytes()
			continue
		}
		b, err := io.ReadAll(io.LimitReader(part, 2049))
		if err != nil {
			return fail(err)
		}
		if len(b) > 2048 {
			return apperr.BadParam(name, "longer than 2048 bytes")
		}
		switch name {
		case "on":
			req.On = string(b)
		case "value":
			req.Value = string(b)
		case "unit":
			req.Unit = string(b)
		case "note":
			req.Note = string(b)
		default:
			return apperr.BadParam(name, `not a field of a progress entry: send "on", "value", "unit", "note" and "evidence"`)
		}
	}
	e, err := pilot.AddEntry(r.Context(), s.pool, principalOf(r), chi.URLParam(r, "id"), req)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, e)
	return nil
}

// pilotEvidence answers an entry's evidence as a download under its checked media type.
func (s *Server) pilotEvidence(w http.ResponseWriter, r *http.Request) error {
	id, err := strconv.ParseInt(chi.URLParam(r, "id"), 10, 64)
	if err != nil || id <= 0 {
		return apperr.New(apperr.NotFound, "there is no progress entry %q", chi.URLParam(r, "id"))
	}
	f, err := pilot.FetchEvidence(r.Context(), s.pool, id)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", f.Media)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": f.Name}))
	w.Header().Set("Cache-Control", "no-store")
	_, err = w.Write(f.Content)
	return err
}

// pilotLedger answers the 工作台账 workbook.
func (s *Server) pilotLedger(w http.ResponseWriter, r *http.Request) error {
	if err := onlyParams(r.URL.Query()); err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := pilot.WriteLedger(r.Context(), s.pool, &buf); err != nil {
		return err
	}
	w.Header().Set("Content-Type", pilot.XLSXMedia)
	w.Header().Set("Content-Disposition", `attachment; filename="pilot-ledger.xlsx"`)
	w.Header().Set("Cache-Control", "no-store")
	_, err := w.Write(buf.Bytes())
	return err
}
