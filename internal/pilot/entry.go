package pilot

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"path"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/wuyuan-forestry/ecocomp/internal/apperr"
	"github.com/wuyuan-forestry/ecocomp/internal/audit"
	"github.com/wuyuan-forestry/ecocomp/internal/auth"
)

var sprintf = fmt.Sprintf

// MaxEvidence bounds an entry's evidence file: a scanned statement or a spreadsheet fits.
const MaxEvidence = 10 << 20

// XLSXMedia is the media type of an Excel workbook.
const XLSXMedia = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

// EntryRequest is a progress entry as sent: the indicator's value on a day, for a unit (empty:
// the caller's only unit among the indicator's), with an optional evidence file.
type EntryRequest struct {
	Unit         string
	On           string
	Value        string
	Note         string
	EvidenceName string
	Evidence     []byte
}

// SniffEvidence tells an evidence file's media type from its content: PDF, JPEG, PNG or an
// xlsx workbook (a zip holding xl/workbook.xml); anything else is refused whatever its name.
func SniffEvidence(b []byte) (string, string, error) {
	switch {
	case bytes.HasPrefix(b, []byte("%PDF-")):
		return "application/pdf", ".pdf", nil
	case bytes.HasPrefix(b, []byte{0xFF, 0xD8, 0xFF}):
		return "image/jpeg", ".jpg", nil
	case bytes.HasPrefix(b, []byte{0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'}):
		return "image/png", ".png", nil
	case bytes.HasPrefix(b, []byte("PK\x03\x04")):
		if z, err := zip.NewReader(bytes.NewReader(b), int64(len(b))); err == nil {
			for _, f := range z.File {
				if f.Name == "xl/workbook.xml" {
					return XLSXMedia, ".xlsx", nil
				}
			}
		}
		return "", "", apperr.BadParam("evidence", "it is a zip archive but not an xlsx workbook; attach a PDF, JPEG, PNG or xlsx file")
	}
	seen := strings.TrimSuffix(http.DetectContentType(b), "; charset=utf-8")
	return "", "", apperr.BadParam("evidence", "its content is %s, not a PDF, JPEG, PNG or xlsx file (the file name and declared type do not count)", seen)
}

// cleanName keeps the last path element, without control or format characters, at most 100
// characters, ending in the extension of the content.
func cleanName(name, ext string) string {
	name = path.Base(strings.ReplaceAll(name, `\`, "/"))
	name = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == utf8.RuneError || strings.ContainsRune(`<>:"/\|?*`, r) {
			return -1
		}
		return r
	}, strings.ToValidUTF8(name, ""))
	if r := []rune(name); len(r) > 100 {
		name = string(r[:100])
	}
	if name == "." || name == "/" {
		name = ""
	}
	if !strings.EqualFold(path.Ext(name), ext) && !(ext == ".jpg" && strings.EqualFold(path.Ext(name), ".jpeg")) {
		name += ext
	}
	if name == ext {
		name = "evidence" + ext
	}
	return name
}

// AddEntry stores a progress entry on indicator code for a member of its lead or partner units,
// audited as pilot.entry; a caller of no such unit is refused (403) and the refusal audited.
func AddEntry(ctx context.Context, pool *pgxpool.Pool, who auth.Principal, code string, req EntryRequest) (*Entry, error) {
	v, err := current(ctx, pool)
	if err != nil {
		return nil, err
	}
	unit, err := reporter(ctx, pool, who, v, indicatorSubject, code, req.Unit)
	if err != nil {
		return nil, err
	}
	on, err := time.Parse(time.DateOnly, strings.TrimSpace(req.On))
	if err != nil {
		return nil, apperr.BadParam("on", "%q is not a date YYYY-MM-DD", req.On)
	}
	if on.After(time.Now().In(time.FixedZone("CST", 8*3600)).AddDate(0, 0, 1)) {
		return nil, apperr.BadParam("on", "%s is in the future: enter progress reached by today", req.On)
	}
	value := strings.TrimSpace(req.Value)
	if !decimalForm.MatchString(value) {
		return nil, apperr.BadParam("value", "%q is not a number ≥ 0 with at most 4 decimals, in the indicator's measure", req.Value)
	}
	if len([]rune(req.Note)) > 500 {
		return nil, apperr.BadParam("note", "longer than 500 characters")
	}
	var media, name, sum *string
	var content []byte
	if len(req.Evidence) > 0 {
		if len(req.Evidence) > MaxEvidence {
			return nil, apperr.New(apperr.TooLarge, "the evidence file is larger than %d MiB: scan at a lower resolution or split it", MaxEvidence>>20)
		}
		m, ext, err := SniffEvidence(req.Evidence)
		if err != nil {
			return nil, err
		}
		n := cleanName(req.EvidenceName, ext)
		h := sha256.Sum256(req.Evidence)
		s := hex.EncodeToString(h[:])
		media, name, sum, content = &m, &n, &s, req.Evidence
	}
	var id int64
	err = pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, `INSERT INTO pilot_entry (indicator, unit_code, on_date, value, note, evidence_name, evidence_media, evidence, evidence_sha256, entered_by, user_id)
			VALUES ($1, $2, $3, $4::numeric, $5, $6, $7, $8, $9, $10, $11) RETURNING id`, code, unit, on, value, strings.TrimSpace(req.Note), name, media, content, sum,
			who.Actor.String(), nullID(who.Actor.UserID)).Scan(&id); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "pilot.entry", Entity: "pilot_indicator", EntityID: code,
			Detail: map[string]any{"entry": id, "unit": unit, "on": req.On, "value": value, "evidence_sha256": sum}})
	})
	if err != nil {
		return nil, err
	}
	list, err := entries(ctx, pool, code)
	if err != nil {
		return nil, err
	}
	for i := range list {
		if list[i].ID == id {
			return &list[i], nil
		}
	}
	return nil, apperr.New(apperr.Internal, "the entry %d was stored but not read back", id)
}

func nullID(id int64) *int64 {
	if id <= 0 {
		return nil
	}
	return &id
}

// EvidenceFile is an entry's attached file.
type EvidenceFile struct {
	Name    string
	Media   string
	Content []byte
}

// FetchEvidence returns the evidence of entry id.
func FetchEvidence(ctx context.Context, db Querier, id int64) (*EvidenceFile, error) {
	var f EvidenceFile
	var name, media *string
	err := db.QueryRow(ctx, `SELECT evidence_name, evidence_media, evidence FROM pilot_entry WHERE id = $1`, id).Scan(&name, &media, &f.Content)
	if errors.Is(err, pgx.ErrNoRows) || (err == nil && media == nil) {
		return nil, apperr.New(apperr.NotFound, "progress entry %d has no evidence file", id)
	}
	if err != nil {
		return nil, err
	}
	f.Name, f.Media = deref(name), *media
	return &f, nil
}
