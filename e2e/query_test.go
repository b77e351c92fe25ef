package e2e

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/gopulse/health/e2e/harness"
	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/data"
)

// TestQueryDataPromQL sends one QueryData request with good and bad queries
// through the plugin protocol against the real stack (demo under load, scraped by
// Prometheus every second). Good range queries answer data-plane
// timeseries-multi frames; each bad query gets its own error while the others
// still answer.
func TestQueryDataPromQL(t *testing.T) {
	t.Parallel()
	s := harness.StartStackWith(t, harness.StackOptions{Loadgen: true, LoadgenRPS: 10, NoAlertmanager: true})
	// Bounded wait until the demo's request counter has a rate and a few scrapes
	// lie before the query's end (which the backend aligns down to the step).
	harness.WaitForQuery(t, s.Prometheus.URL,
		`sum(rate(http_requests_total{job="demo"}[1m])) > 0 and on() count_over_time(up{job="demo"}[1m]) >= 4`,
		30*time.Second)

	ds := &harness.Settings{URL: s.Prometheus.URL}
	now := time.Now()
	window := func(q harness.Query) harness.Query {
		q.From, q.To = now.Add(-5*time.Minute), now
		q.Interval = time.Second
		q.MaxDataPoints = 600
		return q
	}
	queries := []harness.Query{
		window(harness.Query{RefID: "up", Model: map[string]any{
			"queryType": "promql", "expr": `up{job="demo"}`, "range": true, "legendFormat": "{{instance}}",
		}}),
		window(harness.Query{RefID: "rate", Model: map[string]any{
			"queryType": "promql", "expr": "rate(http_requests_total[1m])", "range": true, "legendFormat": "{{instance}} {{method}} {{path}}",
		}}),
		window(harness.Query{RefID: "parse", Model: map[string]any{
			"queryType": "promql", "expr": "sum((", "range": true,
		}}),
		window(harness.Query{RefID: "type", Model: map[string]any{
			"queryType": "no-such-type", "expr": "up",
		}}),
		window(harness.Query{RefID: "json", QueryType: "promql", Model: json.RawMessage(`{"queryType":"promql","expr":`)}),
	}

	queryEachPlugin(t, ds, queries, func(t *testing.T, resp *backend.QueryDataResponse) {
		for _, q := range queries {
			if _, ok := resp.Responses[q.RefID]; !ok {
				t.Errorf("no response for refId %q", q.RefID)
			}
		}

		t.Run("range query up", func(t *testing.T) {
			r := resp.Responses["up"]
			requireNoError(t, r)
			checkTimeSeriesMulti(t, r.Frames, "demo", s.Demo.Addr, func(*data.Field) string { return s.Demo.Addr })
		})
		t.Run("range query rate", func(t *testing.T) {
			r := resp.Responses["rate"]
			requireNoError(t, r)
			checkTimeSeriesMulti(t, r.Frames, "demo", s.Demo.Addr, func(f *data.Field) string {
				return s.Demo.Addr + " " + f.Labels["method"] + " " + f.Labels["path"]
			})
		})
		t.Run("parse error", func(t *testing.T) {
			r := requireQueryError(t, resp.Responses["parse"], "sum((", "parse error")
			if r.ErrorSource != backend.ErrorSourceDownstream {
				t.Errorf("error source = %q, want %q", r.ErrorSource, backend.ErrorSourceDownstream)
			}
			if r.Status != backend.StatusBadRequest {
				t.Errorf("status = %d, want %d (Prometheus's 400 bad_data)", r.Status, backend.StatusBadRequest)
			}
		})
		t.Run("unknown query type", func(t *testing.T) {
			r := requireQueryError(t, resp.Responses["type"], "queryType no-such-type", "query type", "no-such-type")
			if r.Status != backend.StatusBadRequest {
				t.Errorf("status = %d, want %d", r.Status, backend.StatusBadRequest)
			}
		})
		t.Run("invalid JSON model", func(t *testing.T) {
			r := requireQueryError(t, resp.Responses["json"], "an invalid JSON model", "JSON")
			if r.Status != backend.StatusBadRequest {
				t.Errorf("status = %d, want %d", r.Status, backend.StatusBadRequest)
			}
		})
	})
}

// requireQueryError fails unless r, the answer to what, is an error that mentions every
// one of words (case-insensitive); it returns r for the checks of its status.
func requireQueryError(t *testing.T, r backend.DataResponse, what string, words ...string) backend.DataResponse {
	t.Helper()
	if r.Error == nil {
		t.Fatalf("%s answered without error: %d frames", what, len(r.Frames))
	}
	t.Logf("error: %v (status %d, source %q)", r.Error, r.Status, r.ErrorSource)
	if missing := containsFold(r.Error.Error(), words...); len(missing) > 0 {
		t.Errorf("error %q does not mention %q", r.Error, missing)
	}
	return r
}

func requireNoError(t *testing.T, r backend.DataResponse) {
	t.Helper()
	if r.Error != nil {
		t.Fatalf("unexpected error: %v (status %d, source %q)", r.Error, r.Status, r.ErrorSource)
	}
	if len(r.Frames) == 0 {
		t.Fatal("no frames")
	}
}

// checkTimeSeriesMulti asserts data-plane timeseries-multi frames: per frame one
// time field and one number field whose labels include job and instance, whose
// display name is the legend, and which has values.
func checkTimeSeriesMulti(t *testing.T, frames data.Frames, job, instance string, legend func(*data.Field) string) {
	t.Helper()
	for i, f := range frames {
		if f.Meta == nil || f.Meta.Type != data.FrameTypeTimeSeriesMulti {
			t.Errorf("frame %d: meta %+v, want type %q", i, f.Meta, data.FrameTypeTimeSeriesMulti)
			continue
		}
		var timeFields, numFields []*data.Field
		for _, fld := range f.Fields {
			switch {
			case fld.Type().Time():
				timeFields = append(timeFields, fld)
			case fld.Type().Numeric():
				numFields = append(numFields, fld)
			}
		}
		if len(timeFields) != 1 || len(numFields) != 1 || len(f.Fields) != 2 {
			t.Errorf("frame %d: fields %s, want one time and one number field", i, describeFields(f))
			continue
		}
		v := numFields[0]
		if v.Labels["job"] != job || v.Labels["instance"] != instance {
			t.Errorf("frame %d: labels %v, want job=%q instance=%q", i, v.Labels, job, instance)
		}
		want := legend(v)
		if v.Config == nil || v.Config.DisplayNameFromDS != want {
			t.Errorf("frame %d: display name %+v, want %q from the legend", i, v.Config, want)
		}
		if n, err := f.RowLen(); err != nil || n == 0 {
			t.Errorf("frame %d: %d rows (%v), want values", i, n, err)
		}
	}
}

func describeFields(f *data.Frame) string {
	var parts []string
	for _, fld := range f.Fields {
		parts = append(parts, fld.Name+":"+fld.Type().String())
	}
	return "[" + strings.Join(parts, ", ") + "]"
}
