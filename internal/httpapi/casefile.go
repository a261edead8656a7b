package httpapi

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/wuyuan-forestry/ecocomp/internal/apperr"
	"github.com/wuyuan-forestry/ecocomp/internal/audit"
	"github.com/wuyuan-forestry/ecocomp/internal/casefile"
	"github.com/wuyuan-forestry/ecocomp/internal/cases"
)

// maxDocumentBody bounds the whole upload of a document: the file and the little the form adds.
const maxDocumentBody = casefile.MaxDocument + 64<<10

func (s *Server) casefileRoutes(r chi.Router) {
	r.Post("/api/v1/cases/{id}/documents", s.handle(s.attachDocument))
	r.Get("/api/v1/cases/{id}/documents/{doc}", s.handle(s.getDocument))
	r.Get("/api/v1/cases/{id}/sizhi.pdf", s.handle(s.sizhiPDF))
	r.Get("/api/v1/cases/notice.pdf", s.handle(s.noticeList))
	r.Get("/api/v1/cases/notice.xlsx", s.handle(s.noticeList))
}

// attachDocument takes a multipart upload — the part "file" and the field "kind" — into the
// case file. A body announced larger than the limit is refused before it is read; one that
// turns out larger is cut off at the limit.
func (s *Server) attachDocument(w http.ResponseWriter, r *http.Request) error {
	id, err := caseID(r, "id")
	if err != nil {
		return err
	}
	if err := onlyParams(r.URL.Query()); err != nil {
		return err
	}
	if r.ContentLength > maxDocumentBody {
		return documentTooLarge()
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxDocumentBody)
	mr, err := r.MultipartReader()
	if err != nil {
		return apperr.New(apperr.Invalid, "send the document as multipart/form-data: the file in a part named \"file\", its kind in a field \"kind\"")
	}
	var up casefile.Upload
	var seen bool
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return documentError(err)
		}
		switch part.FormName() {
		case "file":
			if seen {
				return apperr.BadParam("file", "send one file per upload")
			}
			seen = true
			up.Name = part.FileName()
			var buf bytes.Buffer
			if _, err := io.Copy(&buf, io.LimitReader(part, casefile.MaxDocument+1)); err != nil {
				return documentError(err)
			}
			if buf.Len() > casefile.MaxDocument {
				return documentTooLarge()
			}
			up.Content = buf.Bytes()
		case "kind":
			b, err := io.ReadAll(io.LimitReader(part, 65))
			if err != nil {
				return documentError(err)
			}
			if len(b) > 64 {
				return apperr.BadParam("kind", "longer than 64 bytes")
			}
			up.Kind = strings.TrimSpace(string(b))
		default:
			return apperr.BadParam(part.FormName(), "not a field of a document upload: send \"file\" and \"kind\"")
		}
		part.Close()
	}
	if !seen {
		return apperr.BadParam("file", "the upload has no part named \"file\"")
	}
	doc, err := casefile.Attach(r.Context(), s.pool, id, up)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/cases/"+strconv.FormatInt(id, 10)+"/documents/"+strconv.FormatInt(doc.ID, 10))
	writeJSON(w, http.StatusCreated, doc)
	return nil
}

func documentTooLarge() error {
	return apperr.New(apperr.TooLarge, "the document is larger than %d MiB: scan at a lower resolution or split it", casefile.MaxDocument>>20)
}

func documentError(err error) error {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return documentTooLarge()
	}
	return apperr.Wrap(apperr.Invalid, err, "the multipart upload could not be read")
}

// getDocument answers a document of the case file as a download, under the media type its
// content was checked to have, never to be shown inline or sniffed into something else.
func (s *Server) getDocument(w http.ResponseWriter, r *http.Request) error {
	if err := onlyParams(r.URL.Query()); err != nil {
		return err
	}
	id, err := caseID(r, "id")
	if err != nil {
		return err
	}
	doc, err := strconv.ParseInt(chi.URLParam(r, "doc"), 10, 64)
	if err != nil || doc <= 0 {
		return apperr.New(apperr.NotFound, "case %d has no document %q", id, chi.URLParam(r, "doc"))
	}
	f, err := casefile.Fetch(r.Context(), s.pool, id, doc)
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", f.MediaType)
	h.Set("Content-Disposition", attachment(f.Name))
	h.Set("Content-Length", strconv.Itoa(len(f.Content)))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "sandbox; default-src 'none'")
	h.Set("Cache-Control", "private, no-store")
	w.WriteHeader(http.StatusOK)
	_, err = w.Write(f.Content)
	return err
}

// sizhiPDF answers the 四至图 of a case. The owner is named in clear for finance only, and that
// read is audited.
func (s *Server) sizhiPDF(w http.ResponseWriter, r *http.Request) error {
	if err := onlyParams(r.URL.Query()); err != nil {
		return err
	}
	id, err := caseID(r, "id")
	if err != nil {
		return err
	}
	who := whoOf(r)
	unmask := cases.MayUnmask(who)
	c, err := cases.Get(r.Context(), s.pool, who, id, unmask)
	if err != nil {
		return err
	}
	sheet, err := casefile.LoadSizhi(r.Context(), s.pool, c, time.Now().In(cases.China))
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := sheet.WritePDF(&buf); err != nil {
		return err
	}
	if unmask {
		if err := audit.Record(r.Context(), s.pool, audit.Entry{Action: "pii.read", Entity: "buyout_case", EntityID: c.Number,
			Detail: map[string]any{"fields": []string{"owner"}, "owner": c.Owner.ID, "format": "sizhi.pdf"}}); err != nil {
			return err
		}
	}
	return writeFile(w, "application/pdf", "四至图-"+c.Number+".pdf", buf.Bytes())
}

// noticeList answers the public-notice list (公示表) of the cases in notice as PDF or xlsx, the
// owners masked whoever asks: it is posted in the villages.
func (s *Server) noticeList(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	if err := onlyParams(q, "township"); err != nil {
		return err
	}
	township, err := s.township(r.Context(), q)
	if err != nil {
		return err
	}
	n, err := casefile.LoadNotice(r.Context(), s.pool, whoOf(r), township, time.Now().In(cases.China))
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	name := "公示表-" + n.Made.Format("2006-01-02")
	if township != "" {
		name += "-" + township
	}
	if strings.HasSuffix(r.URL.Path, ".xlsx") {
		if err := n.WriteXLSX(&buf); err != nil {
			return err
		}
		return writeFile(w, xlsxType, name+".xlsx", buf.Bytes())
	}
	if err := n.WritePDF(&buf); err != nil {
		return err
	}
	return writeFile(w, "application/pdf", name+".pdf", buf.Bytes())
}

const xlsxType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

// writeFile answers a generated file as a download. It is written whole only once it is
// complete, so a failure half-way answers a problem, not half a file.
func writeFile(w http.ResponseWriter, media, name string, b []byte) error {
	h := w.Header()
	h.Set("Content-Type", media)
	h.Set("Content-Disposition", attachment(name))
	h.Set("Content-Length", strconv.Itoa(len(b)))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	_, err := w.Write(b)
	return err
}

// writeCaseList answers the case list as a workbook.
func writeCaseList(w http.ResponseWriter, list []cases.Summary, counts map[string]int, masked bool) error {
	var buf bytes.Buffer
	now := time.Now()
	if err := casefile.WriteCaseList(&buf, list, counts, masked, now); err != nil {
		return err
	}
	return writeFile(w, xlsxType, "cases-"+now.In(cases.China).Format("2006-01-02")+".xlsx", buf.Bytes())
}
