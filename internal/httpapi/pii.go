package httpapi

import (
	"context"

	"github.com/wuyuan-forestry/ecocomp/internal/apperr"
	"github.com/wuyuan-forestry/ecocomp/internal/pii"
	"github.com/wuyuan-forestry/ecocomp/internal/subsidy"
)

// keyring is the key of the owners' encrypted personal data (docs/pii-keys.md). It is read from
// the configuration on each use — a few microseconds, on the rare requests that need it — so a
// key file the administrator fixes takes effect without a restart. No key answers 503 with what
// to set.
func (s *Server) keyring() (*pii.Keyring, error) {
	kr, err := pii.Load(s.cfg)
	if err != nil {
		return nil, apperr.Wrap(apperr.Unavailable, err, "owners' ID numbers and accounts are encrypted and this server has no usable key: the administrator must set ECOCOMP_PII_KEY or ECOCOMP_PII_KEY_FILE (docs/pii-keys.md)")
	}
	return kr, nil
}

// loadRoll is subsidy.LoadRoll with the server's key.
func (s *Server) loadRoll(ctx context.Context, year int, township string) (*subsidy.Roll, error) {
	kr, err := s.keyring()
	if err != nil {
		return nil, err
	}
	return subsidy.LoadRoll(ctx, s.pool, kr, year, township)
}
