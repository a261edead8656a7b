package httpapi

import (
	"context"
	"errors"
	"testing"
	"time"
)

// TestLimiterShedsInsteadOfQueuing: with every slot taken, a request waits at most the pool wait
// and is then turned away (counted), heavy ones by their own smaller limit; a freed slot is
// taken at once.
func TestLimiterShedsInsteadOfQueuing(t *testing.T) {
	shed := map[string]int{}
	l := newLimiter(2, 1, 50*time.Millisecond, time.Second, time.Minute, func(c class, limit string) { shed[c.String()+"/"+limit]++ })
	ctx := context.Background()

	heavy, err := l.admit(ctx, classHeavy)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = l.admit(ctx, classHeavy)
	var e *errShed
	if !errors.As(err, &e) || e.retryAfter <= 0 || time.Since(start) > time.Second {
		t.Fatalf("second heavy request: %v after %v; want shed with Retry-After after about 50 ms", err, time.Since(start))
	}
	light, err := l.admit(ctx, classLight)
	if err != nil {
		t.Fatalf("a light request while one heavy runs: %v", err)
	}
	if _, err := l.admit(ctx, classLight); !errors.As(err, &e) {
		t.Fatalf("a third request with two database slots taken: %v; want shed", err)
	}
	if release, err := l.admit(ctx, classFree); err != nil {
		t.Fatalf("the map's files need no slot: %v", err)
	} else {
		release()
	}
	light()
	if release, err := l.admit(ctx, classLight); err != nil {
		t.Fatalf("after a release: %v", err)
	} else {
		release()
	}
	heavy()
	if shed["heavy/heavy"] != 1 || shed["light/database"] != 1 {
		t.Errorf("shed counts %v; want one heavy and one light", shed)
	}
}
