package prometheus

import (
	"testing"
	"time"
)

func TestMacros(t *testing.T) {
	m := Macros{Interval: 30 * time.Second, Range: time.Hour, ScrapeInterval: 15 * time.Second}
	cases := map[string]string{
		"rate(x[$__rate_interval])":                 "rate(x[1m])",
		"rate(x[${__rate_interval}])":               "rate(x[1m])",
		"rate(x[$__interval])":                      "rate(x[30s])",
		"x / $__interval_ms":                        "x / 30000",
		"increase(x[$__range])":                     "increase(x[3600s])",
		"x * $__range_s + $__range_ms":              "x * 3600 + 3600000",
		"up":                                        "up",
		`label_replace(up, "a", "$1", "b", "(.*)")`: `label_replace(up, "a", "$1", "b", "(.*)")`,
	}
	for in, want := range cases {
		if got := m.Expand(in); got != want {
			t.Errorf("Expand(%q) = %q, want %q", in, got, want)
		}
	}
	// A long step: one step plus one scrape.
	if got := (Macros{Interval: 5 * time.Minute, ScrapeInterval: 15 * time.Second}).RateInterval(); got != 5*time.Minute+15*time.Second {
		t.Errorf("rate interval %v", got)
	}
	// No scrape interval configured: the default.
	if got := (Macros{Interval: time.Second}).RateInterval(); got != 4*DefaultScrapeInterval {
		t.Errorf("rate interval %v", got)
	}
	if got := (Macros{Interval: 1500 * time.Millisecond}).Expand("$__interval"); got != "1s500ms" {
		t.Errorf("sub-second interval %q", got)
	}
}
