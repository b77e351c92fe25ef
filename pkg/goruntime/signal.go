// Package goruntime is GoPulse's catalogue of Go runtime signals (goroutines, heap, GC
// pauses, allocation rate, CPU, RSS, file descriptors, scheduler latency, settings) and
// how to read each one from Prometheus or from a service's expvar endpoint.
//
// A query for a signal goes:
//
//	sig, err := goruntime.Lookup("gc_pause_p99")        // unknown ids: an error naming the valid ones
//	sel, err := scope.NewSelector(job, instanceRegex, "job", "instance")
//	q := sel.PresenceQuery(sig.Metrics())             // one instant query: which candidate metrics exist
//	expr, err := sig.Expr(sel, present)               // the first candidate whose metrics exist
//
// Each Signal has candidate PromQL expressions in order of preference: the classic
// client_golang names (go_memstats_*, go_*, process_*) first, then the runtime/metrics
// based names. Expressions keep one series per target (grouped by the selector's job and
// instance labels), use Grafana's $__rate_interval for every window (the caller expands
// it), apply rate() only to counters, and are in the signal's Unit (seconds for GC pauses,
// bytes, bytes per second, ...). Unit is a Grafana unit id.
//
// The expvar fields say where the same value lives in a Go service's /debug/vars:
// ExpvarPath is a dotted path into the JSON ("memstats.HeapAlloc", or an app-published
// var like "goroutines"; "" when expvar has no such value); ExpvarAlso are the other
// names services commonly publish it under, tried in order when ExpvarPath is absent. The value times
// ExpvarScale is in Unit (1e-9 for nanoseconds). ExpvarRate: take the per-second rate
// of the value. memstats.PauseNs is the ring of the last 256 GC pauses (zeros are unused
// entries): KindMean takes its mean, KindQuantile its Quantile. For KindChanges
// (restarts), count the times the value went down: a restart resets the runtime's
// counters.
package goruntime

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/gopulse/health/pkg/scope"
)

// Signal is one entry of the catalogue.
type Signal struct {
	ID          string `json:"id"` // stable snake_case id, the runtime query's signal
	Title       string `json:"title"`
	Area        string `json:"area"` // one of the Area constants
	Unit        string `json:"unit"` // Grafana unit id
	Kind        string `json:"kind"` // one of the Kind constants
	Description string `json:"description"`
	// Quantile is the quantile of a KindQuantile signal.
	Quantile float64 `json:"quantile,omitempty"`
	// Candidates are the PromQL forms in order of preference.
	Candidates []Candidate `json:"-"`
	// Hint tells how to make the series exist when none of the candidates has them.
	Hint        string   `json:"-"`
	ExpvarPath  string   `json:"expvarPath"`
	ExpvarAlso  []string `json:"expvarAlso,omitempty"`
	ExpvarScale float64  `json:"expvarScale,omitempty"`
	ExpvarRate  bool     `json:"expvarRate,omitempty"`
}

// Candidate is one PromQL form of a signal.
type Candidate struct {
	// Expr is a fmt template: %[1]s is Selector.Matchers, %[2]s the grouping labels.
	Expr string
	// Metrics must all have series in the scope for Expr to answer.
	Metrics []string
}

// Catalogue returns every signal, grouped by area. Treat the entries as read-only.
func Catalogue() []Signal { return slices.Clone(catalogue) }

// Lookup returns the signal with the id.
func Lookup(id string) (Signal, error) {
	for _, s := range catalogue {
		if s.ID == id {
			return s, nil
		}
	}
	ids := make([]string, len(catalogue))
	for i, s := range catalogue {
		ids[i] = s.ID
	}
	msg := fmt.Sprintf("unknown runtime signal %q", id)
	if id == "" {
		msg = "no runtime signal chosen"
	} else if c := closest(id, ids); c != "" {
		msg += fmt.Sprintf(" (did you mean %q?)", c)
	}
	return Signal{}, fmt.Errorf("%s: valid signals are %s", msg, strings.Join(ids, ", "))
}

// closest returns the id nearest to s: one that contains it or is contained in it, else
// the one within a third of its length in edits, else "".
func closest(s string, ids []string) string {
	ls := strings.ToLower(s)
	for _, id := range ids {
		if strings.Contains(id, ls) || strings.Contains(ls, id) {
			return id
		}
	}
	best, bestD := "", len(ls)/3+1
	for _, id := range ids {
		if d := editDistance(ls, id); d < bestD {
			best, bestD = id, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b (bytes).
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// Metrics lists the metric names of every candidate, without repeats: ask Prometheus
// once which of them have series in the scope (Selector.PresenceQuery).
func (s Signal) Metrics() []string {
	var out []string
	for _, c := range s.Candidates {
		for _, m := range c.Metrics {
			if !slices.Contains(out, m) {
				out = append(out, m)
			}
		}
	}
	return out
}

// Chosen is the first candidate whose metrics are all present.
func (s Signal) Chosen(present func(metric string) bool) (Candidate, bool) {
	for _, c := range s.Candidates {
		if !slices.ContainsFunc(c.Metrics, func(m string) bool { return !present(m) }) {
			return c, true
		}
	}
	return Candidate{}, false
}

// Expr returns the PromQL of the first candidate whose metrics are all present in the
// scope, as present reports; else an error naming what is missing and, for opt-in
// series, how to export them.
func (s Signal) Expr(sel scope.Selector, present func(metric string) bool) (string, error) {
	if c, ok := s.Chosen(present); ok {
		return fmt.Sprintf(c.Expr, sel.Matchers, sel.By()), nil
	}
	needs := make([]string, len(s.Candidates))
	for i, c := range s.Candidates {
		needs[i] = strings.Join(c.Metrics, " and ")
	}
	where := "every target"
	if sel.Matchers != "" {
		where = sel.String()
	}
	err := fmt.Sprintf("no series for %s (%s) in %s: needs %s", s.Title, s.ID, where, strings.Join(needs, ", or "))
	if s.Hint != "" {
		err += "; " + s.Hint
	}
	return "", errors.New(err)
}
