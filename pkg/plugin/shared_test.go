package plugin

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
)

// Two viewers' queries are identical when only their time ranges differ within one TTL
// window; another window, query, ref ID or forwarded identity makes them differ.
func TestQueryKey(t *testing.T) {
	now := time.Unix(1_764_000_001, 0)
	q := backend.DataQuery{RefID: "A", QueryType: "health", JSON: json.RawMessage(`{"job":"demo"}`), Interval: time.Minute, MaxDataPoints: 100,
		TimeRange: backend.TimeRange{From: now.Add(-time.Hour), To: now}}
	headers := map[string]string{"Authorization": "Bearer a"}
	base := queryKey(q, headers, 15*time.Second)
	later := q
	later.TimeRange = backend.TimeRange{From: q.TimeRange.From.Add(10 * time.Second), To: q.TimeRange.To.Add(10 * time.Second)}
	if queryKey(later, headers, 15*time.Second) != base {
		t.Error("the same query 10 s later in the same window has another key")
	}
	if queryKey(later, headers, 0) == base {
		t.Error("without a TTL, queries over different ranges share a key")
	}
	next := q
	next.TimeRange = backend.TimeRange{From: q.TimeRange.From.Add(15 * time.Second), To: q.TimeRange.To.Add(15 * time.Second)}
	other := []struct {
		what string
		q    backend.DataQuery
		h    map[string]string
	}{
		{"next window", next, headers},
		{"another user", q, map[string]string{"Authorization": "Bearer b"}},
		{"no identity", q, nil},
		{"another ref ID", func() backend.DataQuery { o := q; o.RefID = "B"; return o }(), headers},
		{"another query", func() backend.DataQuery { o := q; o.JSON = json.RawMessage(`{"job":"api"}`); return o }(), headers},
		{"another type", func() backend.DataQuery { o := q; o.QueryType = "runtime"; return o }(), headers},
		{"more points", func() backend.DataQuery { o := q; o.MaxDataPoints = 200; return o }(), headers},
	}
	for _, o := range other {
		if queryKey(o.q, o.h, 15*time.Second) == base {
			t.Errorf("%s: same key", o.what)
		}
	}
}

// Answers built from the plugin's own expvar history are never shared; those from the
// servers are.
func TestFromServers(t *testing.T) {
	for _, c := range []struct {
		typ, model string
		want       bool
	}{
		{"promql", `{"expr":"up"}`, true},
		{"health", `{}`, true},
		{"alerts", `{}`, true},
		{"runtime", `{"signal":"goroutines"}`, true},
		{"runtime", `{"signal":"goroutines","source":"prometheus"}`, true},
		{"runtime", `{"signal":"goroutines","source":"expvar"}`, false},
		{"expvar", `{"paths":["memstats.NumGC"]}`, false},
		{"variable", `{"variableQuery":{"kind":"label_values","label":"job"}}`, true},
		{"variable", `{"variableQuery":{"kind":"expvar_paths"}}`, false},
		{"variable", `{"variableQuery":{"kind":"expvar_targets"}}`, false},
	} {
		if got := fromServers(backend.DataQuery{QueryType: c.typ, JSON: json.RawMessage(c.model)}); got != c.want {
			t.Errorf("%s %s: shared %v, want %v", c.typ, c.model, got, c.want)
		}
	}
}
