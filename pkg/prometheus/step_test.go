package prometheus

import (
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/gopulse/health/pkg/query"
)

func TestStepRange(t *testing.T) {
	to := time.Date(2026, 11, 25, 12, 0, 7, 0, time.UTC)
	cases := []struct {
		name          string
		span          time.Duration
		interval      time.Duration
		maxDataPoints int64
		minStep       time.Duration
		want          time.Duration
	}{
		{"panel interval wins", time.Hour, 15 * time.Second, 1000, 0, 15 * time.Second},
		{"max data points", time.Hour, time.Second, 100, 0, 36 * time.Second},
		{"min step", time.Hour, 15 * time.Second, 1000, time.Minute, time.Minute},
		{"11000-point cap", 30 * 24 * time.Hour, time.Second, 50000, 0, 235680 * time.Millisecond},
		{"no interval, no points", 1000 * time.Second, 0, 0, 0, time.Second},
		{"sub-millisecond rounds up", time.Second, 0, 100000, 0, time.Millisecond},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, err := StepRange(to.Add(-c.span), to, c.interval, c.maxDataPoints, c.minStep)
			if err != nil {
				t.Fatal(err)
			}
			if r.Step != c.want {
				t.Errorf("step = %v, want %v", r.Step, c.want)
			}
		})
	}
}

// Every range, whatever the request asks, yields aligned bounds inside the requested
// range (within one step) and at most MaxPointsPerSeries points.
func TestStepRangeBounds(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 20000; i++ {
		to := time.Unix(1_700_000_000+rng.Int64N(1e8), rng.Int64N(1e9))
		span := time.Duration(1 + rng.Int64N(int64(400*24*time.Hour)))
		interval := time.Duration(rng.Int64N(int64(time.Hour)))
		mdp := rng.Int64N(100000)
		minStep := time.Duration(rng.Int64N(int64(10 * time.Minute)))
		r, err := StepRange(to.Add(-span), to, interval, mdp, minStep)
		if err != nil {
			t.Fatal(err)
		}
		points := int64(r.End.Sub(r.Start)/r.Step) + 1
		switch {
		case points > MaxPointsPerSeries:
			t.Fatalf("span %v interval %v mdp %d: %d points", span, interval, mdp, points)
		case r.Step < minStep, r.Step < interval, r.Step%time.Millisecond != 0:
			t.Fatalf("step %v below interval %v or minStep %v", r.Step, interval, minStep)
		case r.Start.UnixNano()%int64(r.Step) != 0, r.End.UnixNano()%int64(r.Step) != 0:
			t.Fatalf("bounds %v..%v not aligned to %v", r.Start, r.End, r.Step)
		case r.Start.After(to.Add(-span)), r.Start.Before(to.Add(-span - r.Step)), r.End.After(to):
			t.Fatalf("bounds %v..%v outside the requested range", r.Start, r.End)
		}
	}
}

func TestStepRangeEmpty(t *testing.T) {
	now := time.Now()
	if _, err := StepRange(now, now, time.Second, 100, 0); err != query.ErrEmptyRange {
		t.Fatalf("err = %v, want query.ErrEmptyRange", err)
	}
}

func TestStepNotice(t *testing.T) {
	to := time.Now()
	from := to.Add(-30 * 24 * time.Hour)
	r, _ := StepRange(from, to, time.Second, 50000, 0)
	if n := StepNotice(r, from, to, time.Second, 50000, 0); !strings.Contains(n, "raised from 51.84s to 3m55.68s") {
		t.Errorf("notice %q", n)
	}
	from = to.Add(-time.Hour)
	r, _ = StepRange(from, to, 15*time.Second, 1000, 0)
	if n := StepNotice(r, from, to, 15*time.Second, 1000, 0); n != "" {
		t.Errorf("notice %q for an uncapped step", n)
	}
}
