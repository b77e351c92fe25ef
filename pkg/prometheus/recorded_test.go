package prometheus

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/data"
	v1 "github.com/prometheus/client_golang/api/prometheus/v1"

	"github.com/gopulse/health/pkg/prometheus/promtest"
)

// recordedRange is the range of the recorded query_range answers
// (testdata/prometheus-2.42, from Prometheus 2.42 scraping itself).
var recordedRange = v1.Range{Start: time.Unix(1796086632, 0), End: time.Unix(1796086637, 0), Step: time.Second}

// recordedPrometheus answers as the recorded Prometheus did, and refuses a query_range
// for another range than the recorded one.
func recordedPrometheus(t *testing.T) *httptest.Server {
	t.Helper()
	answer := func(w http.ResponseWriter, code int, name string) {
		body, err := os.ReadFile("testdata/prometheus-2.42/" + name + ".json")
		if err != nil {
			t.Error(err)
			code, body = 500, []byte(err.Error())
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		_, _ = w.Write(body)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/api/v1/status/buildinfo":
			answer(w, 200, "buildinfo")
		case "/api/v1/query":
			answer(w, 200, "query-scalar")
		case "/api/v1/label/job/values":
			answer(w, 200, "label-job")
		case "/api/v1/query_range":
			for k, want := range map[string]time.Time{"start": recordedRange.Start, "end": recordedRange.End} {
				if got, err := strconv.ParseFloat(r.FormValue(k), 64); err != nil || got != float64(want.Unix()) {
					http.Error(w, k+" "+r.FormValue(k)+" is not the recorded one", 400)
					return
				}
			}
			switch r.FormValue("query") {
			case `up{job="prometheus"}`:
				answer(w, 200, "range-up")
			case `up{job="nothing-here"}`:
				answer(w, 200, "range-empty")
			case "sum((":
				answer(w, 400, "range-bad")
			default:
				http.Error(w, "no recorded answer", 400)
			}
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

// The client reads the answers of a real Prometheus as the data source shows them: the
// end-to-end tests ask the running servers (Prometheus and VictoriaMetrics) the same.
func TestRecordedPrometheusAnswers(t *testing.T) {
	base, _ := url.Parse(recordedPrometheus(t).URL)
	hc := &http.Client{Timeout: 10 * time.Second}
	t.Cleanup(hc.CloseIdleConnections)
	c, err := New(base, hc, Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()

	if info, err := c.Check(ctx); err != nil || info.String() != "Prometheus 2.42.0+ds" {
		t.Errorf("check: %v, %v", info, err)
	}

	// One frame per series, data-plane typed, labelled, legend applied, a point per step.
	frames, err := c.QueryRange(ctx, Query{Expr: `up{job="prometheus"}`, LegendFormat: "{{job}} at {{instance}}"}, recordedRange)
	if err != nil || len(frames) != 1 || len(frames[0].Fields) != 2 {
		t.Fatalf("query: %v, %v", frames, err)
	}
	f := frames[0]
	if f.Meta.Type != data.FrameTypeTimeSeriesMulti || !strings.Contains(f.Meta.ExecutedQueryString, `up{job="prometheus"}`) {
		t.Errorf("meta %+v", f.Meta)
	}
	if f.Rows() != 6 {
		t.Errorf("%d points, want 6 (5 s at 1 s steps)", f.Rows())
	}
	v := f.Fields[1]
	for i := range f.Rows() {
		want := recordedRange.Start.Add(time.Duration(i) * recordedRange.Step)
		if ts := f.Fields[0].At(i).(time.Time); !ts.Equal(want) {
			t.Errorf("point %d at %v, want %v", i, ts, want)
		}
		if got, _ := v.FloatAt(i); got != 1 {
			t.Errorf("up = %v at point %d, want 1", got, i)
		}
	}
	if want := (data.Labels{"__name__": "up", "job": "prometheus", "instance": "127.0.0.1:43821"}); !v.Labels.Equals(want) {
		t.Errorf("labels %v, want %v", v.Labels, want)
	}
	if want := "prometheus at 127.0.0.1:43821"; v.Config == nil || v.Config.DisplayNameFromDS != want {
		t.Errorf("display name %+v, want %q", v.Config, want)
	}

	// No series: one typed frame without fields.
	empty, err := c.QueryRange(ctx, Query{Expr: `up{job="nothing-here"}`}, recordedRange)
	if err != nil || len(empty) != 1 || len(empty[0].Fields) != 0 || empty[0].Meta.Type != data.FrameTypeTimeSeriesMulti {
		t.Errorf("empty result: %v, %v", empty, err)
	}

	// A bad expression: Prometheus's own message, as a 4xx downstream error.
	_, err = c.QueryRange(ctx, Query{Expr: "sum(("}, recordedRange)
	promtest.AssertUpstreamError(t, "bad expr", err, 400, "parse error: unclosed left parenthesis")

	vals, err := c.LabelValues(ctx, "job", nil, recordedRange)
	if err != nil || !slices.Equal(vals.Values, []string{"prometheus"}) || vals.Truncated {
		t.Errorf("label values of job: %v, %v", vals, err)
	}
}
