package query

import (
	"strings"
	"testing"
	"time"
)

func TestParseDuration(t *testing.T) {
	good := map[string]time.Duration{
		"":      0,
		"15s":   15 * time.Second,
		"1m30s": 90 * time.Second,
		"2h":    2 * time.Hour,
		"1d":    24 * time.Hour,
		"30":    30 * time.Second,
		"0.5":   500 * time.Millisecond,
		" 10s ": 10 * time.Second,
		"250ms": 250 * time.Millisecond,
	}
	for in, want := range good {
		got, err := ParseDuration(in)
		if err != nil || got != want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"abc", "-5", "-1s", "10x", "1e12"} {
		if d, err := ParseDuration(in); err == nil {
			t.Errorf("ParseDuration(%q) = %v, want an error", in, d)
		}
	}
}

func TestParsePromQL(t *testing.T) {
	q, step, err := ParsePromQL([]byte(`{"expr":"  up ","legendFormat":"{{job}}","minStep":"30s","range":true}`))
	if err != nil {
		t.Fatal(err)
	}
	if q.Expr != "up" || q.LegendFormat != "{{job}}" || step != 30*time.Second {
		t.Errorf("got %+v, step %v", q, step)
	}
	bad := map[string]string{
		`{"expr":""}`:                    "expr is empty",
		`{"expr":"up","minStep":"soon"}`: `minStep "soon"`,
		`{"expr":"up","format":"csv"}`:   `format "csv"`,
		`{"expr":"up","instant":true}`:   "only range queries",
		`{"expr":"up","range":false}`:    "only range queries",
		`{"expr":1}`:                     "invalid query model",
		`not json`:                       "invalid query model",
	}
	for in, want := range bad {
		if _, _, err := ParsePromQL([]byte(in)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParsePromQL(%s) error = %v, want it to contain %q", in, err, want)
		}
	}
}
