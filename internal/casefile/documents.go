// Package casefile writes and keeps a buyout case's file: the documents attached to it (scans,
// PDFs, photos, checked by their content), the printable 四至图 of its parcels, the public-notice
// list (公示表) of the cases in notice, and the case list as a workbook. The case itself — its
// states, steps and money — is internal/cases; this package only reads it.
package casefile

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"path"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/wuyuan-forestry/ecocomp/internal/apperr"
	"github.com/wuyuan-forestry/ecocomp/internal/audit"
	"github.com/wuyuan-forestry/ecocomp/internal/cases"
)

// MaxDocument bounds one attached file: a multi-page scan at 300 dpi or a phone photo fits.
const MaxDocument = 20 << 20

// maxName bounds a stored file name, in characters.
const maxName = 100

// Kinds lists what a document of the case file may be, in the order of the workflow.
func Kinds() []string {
	return []string{"application", "certificate", "field_check", "appraisal_report", "notice_photo", "contract", "registration", "other"}
}

// format is a file type the case file accepts: what its content starts with, its media type and
// the extensions a name of it may end in (the first one is added to a name that has none of them).
type format struct {
	media string
	magic [][]byte
	exts  []string
}

var formats = []format{
	{"application/pdf", [][]byte{[]byte("%PDF-")}, []string{".pdf"}},
	{"image/jpeg", [][]byte{{0xFF, 0xD8, 0xFF}}, []string{".jpg", ".jpeg"}},
	{"image/png", [][]byte{{0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'}}, []string{".png"}},
	{"image/tiff", [][]byte{[]byte("II*\x00"), []byte("MM\x00*")}, []string{".tif", ".tiff"}},
}

// Sniff tells the media type of a document from its first bytes. Only PDF, JPEG, PNG and TIFF
// are accepted, whatever the name or the declared type say: HTML, SVG, archives and programs
// could run in a reader's browser or on their desktop.
func Sniff(content []byte) (media string, exts []string, err error) {
	for _, f := range formats {
		for _, m := range f.magic {
			if bytes.HasPrefix(content, m) {
				return f.media, f.exts, nil
			}
		}
	}
	seen := strings.TrimSuffix(http.DetectContentType(content), "; charset=utf-8")
	return "", nil, apperr.BadParam("file", "its content is %s, not a PDF, JPEG, PNG or TIFF file; scan or export the document to one of these (the file name and declared type do not count)", seen)
}

// CleanName makes an uploaded file name safe to store and to offer for download: the last path
// element only, no control or bidirectional-format characters, none of the characters file
// systems reserve, at most 100 characters, and an extension that matches the content.
func CleanName(name string, exts []string) string {
	name = strings.ReplaceAll(name, `\`, "/")
	name = path.Base(name)
	if !utf8.ValidString(name) {
		name = strings.ToValidUTF8(name, "_")
	}
	name = strings.Map(func(r rune) rune {
		switch {
		case unicode.IsControl(r), unicode.Is(unicode.Cf, r), r == utf8.RuneError:
			return -1
		case strings.ContainsRune(`<>:"/\|?*`, r):
			return '_'
		}
		return r
	}, name)
	name = strings.Trim(name, " ._")
	ext := path.Ext(name)
	if slices.Contains(exts, strings.ToLower(ext)) {
		name = name[:len(name)-len(ext)]
	} else {
		ext = exts[0]
	}
	if r := []rune(name); len(r) > maxName-len(ext) {
		name = strings.TrimRight(string(r[:maxName-len(ext)]), " .")
	}
	if name == "" {
		name = "document"
	}
	return name + ext
}

// Document is a stored document of a case file.
type Document = cases.Document

// Upload is a document to attach to a case.
type Upload struct {
	Kind    string
	Name    string
	Content []byte
}

// Attach stores a document in case id's file, checked by its content, with its checksum, and
// audits it. The case's version does not change: attaching a scan does not move the case, and
// an officer taking a step at the same time is not refused for it.
func Attach(ctx context.Context, pool *pgxpool.Pool, id int64, up Upload) (*Document, error) {
	if up.Kind == "" {
		up.Kind = "other"
	}
	if !slices.Contains(Kinds(), up.Kind) {
		return nil, apperr.BadParam("kind", "%q is not a kind of document: use one of %s", up.Kind, strings.Join(Kinds(), ", "))
	}
	if len(up.Content) == 0 {
		return nil, apperr.BadParam("file", "the file is empty")
	}
	if len(up.Content) > MaxDocument {
		return nil, apperr.New(apperr.TooLarge, "the file is larger than %d MiB", MaxDocument>>20)
	}
	media, exts, err := Sniff(up.Content)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(up.Content)
	d := &Document{Name: CleanName(up.Name, exts), Kind: up.Kind, MediaType: media, Size: int64(len(up.Content)),
		SHA256: hex.EncodeToString(sum[:]), UploadedBy: audit.ActorFrom(ctx).String()}
	tx, err := pool.Begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback(ctx)
	var number string
	// FOR KEY SHARE: the case cannot vanish under the insert, and steps taken meanwhile are not held up.
	if err := tx.QueryRow(ctx, `SELECT number FROM buyout_case WHERE id = $1 FOR KEY SHARE`, id).Scan(&number); err == pgx.ErrNoRows {
		return nil, apperr.New(apperr.NotFound, "there is no case %d", id)
	} else if err != nil {
		return nil, err
	}
	if err := tx.QueryRow(ctx, `INSERT INTO case_document (case_id, name, kind, media_type, size, sha256, content, uploaded_by)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id, uploaded_at`,
		id, d.Name, d.Kind, d.MediaType, d.Size, d.SHA256, up.Content, d.UploadedBy).Scan(&d.ID, &d.UploadedAt); err != nil {
		return nil, err
	}
	if err := audit.Record(ctx, tx, audit.Entry{Action: "case.document", Entity: "buyout_case", EntityID: number,
		Detail: map[string]any{"document": d.ID, "name": d.Name, "kind": d.Kind, "media_type": d.MediaType, "size": d.Size, "sha256": d.SHA256}}); err != nil {
		return nil, err
	}
	return d, tx.Commit(ctx)
}

// File is a document with its content, for download.
type File struct {
	Document
	Case    string
	Content []byte
}

// Fetch reads document doc of case id and audits the read: a scan of an application carries
// the owner's identity card.
func Fetch(ctx context.Context, db cases.Querier, id, doc int64) (*File, error) {
	f := &File{}
	err := db.QueryRow(ctx, `SELECT d.id, d.name, d.kind, d.media_type, d.size, d.sha256, d.uploaded_by, d.uploaded_at, b.number, d.content
		FROM case_document d JOIN buyout_case b ON b.id = d.case_id WHERE d.case_id = $1 AND d.id = $2`, id, doc).Scan(
		&f.ID, &f.Name, &f.Kind, &f.MediaType, &f.Size, &f.SHA256, &f.UploadedBy, &f.UploadedAt, &f.Case, &f.Content)
	if err == pgx.ErrNoRows {
		return nil, apperr.New(apperr.NotFound, "case %d has no document %d", id, doc)
	}
	if err != nil {
		return nil, err
	}
	if err := audit.Record(ctx, db, audit.Entry{Action: "case.document.read", Entity: "buyout_case", EntityID: f.Case,
		Detail: map[string]any{"document": f.ID, "name": f.Name, "kind": f.Kind}}); err != nil {
		return nil, err
	}
	return f, nil
}

// date is a calendar day as the case file prints it.
func date(t time.Time) string { return t.Format(time.DateOnly) }
