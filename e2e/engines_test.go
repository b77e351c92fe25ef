package e2e

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/gopulse/health/e2e/harness"
	"github.com/gopulse/health/pkg/prometheus"
	"github.com/gopulse/health/pkg/prometheus/promtest"
)

// engines starts each real Prometheus-compatible server scraping the first one, and
// returns their base URLs: Prometheus itself and VictoriaMetrics.
func engines(t *testing.T) map[string]string {
	prom := harness.StartPrometheus(t, harness.PrometheusOptions{NoProvisionedRules: true})
	vm := harness.StartVictoriaMetrics(t, map[string][]string{"prometheus": {prom.Addr}})
	harness.WaitForTargetUp(t, prom.URL, "prometheus", 30*time.Second)
	harness.WaitForTargetUp(t, vm.URL, "prometheus", 30*time.Second)
	return map[string]string{"prometheus": prom.URL, "victoriametrics": vm.URL}
}

func realClient(t *testing.T, u string) *prometheus.Client {
	base, _ := url.Parse(u)
	hc := &http.Client{Timeout: 10 * time.Second}
	t.Cleanup(hc.CloseIdleConnections)
	c, err := prometheus.New(base, hc, prometheus.Options{QueryTimeout: 20 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// The Prometheus client against real engines: health check, a range query as frames, an
// empty answer, a bad expression's error and label values (pkg/prometheus's unit tests
// replay answers recorded from Prometheus).
func TestPrometheusClientAgainstRealEngines(t *testing.T) {
	for name, u := range engines(t) {
		t.Run(name, func(t *testing.T) {
			c := realClient(t, u)
			ctx := context.Background()

			info, err := c.Check(ctx)
			if err != nil {
				t.Fatalf("check: %v", err)
			}
			if name == "prometheus" && !strings.HasPrefix(info.Version, "2.") && !strings.HasPrefix(info.Version, "3.") {
				t.Errorf("version %q, want Prometheus 2.x or 3.x", info.Version)
			}
			t.Logf("check: %s", info)

			// Range query: one frame per series, data-plane typed, labelled, legend applied,
			// points on the aligned step grid within the range.
			var frames data.Frames
			harness.Eventually(t, 20*time.Second, 250*time.Millisecond, "up has 3 points", func() error {
				now := time.Now()
				r, err := prometheus.StepRange(now.Add(-5*time.Second), now, time.Second, 0, 0)
				if err != nil {
					return err
				}
				frames, err = c.QueryRange(ctx, prometheus.Query{Expr: `up{job="prometheus"}`, LegendFormat: "{{job}} at {{instance}}"}, r)
				if err != nil {
					t.Fatalf("query: %v", err)
				}
				if len(frames) != 1 || len(frames[0].Fields) != 2 || frames[0].Rows() < 3 {
					return errNotYet
				}
				for i := range frames[0].Rows() {
					ts := frames[0].Fields[0].At(i).(time.Time)
					if ts.Before(r.Start) || ts.After(r.End) || ts.Sub(r.Start)%r.Step != 0 {
						t.Errorf("point at %v is off the grid %v..%v step %v", ts, r.Start, r.End, r.Step)
					}
				}
				return nil
			})
			f := frames[0]
			if f.Meta.Type != data.FrameTypeTimeSeriesMulti || !strings.Contains(f.Meta.ExecutedQueryString, `up{job="prometheus"}`) {
				t.Errorf("meta %+v", f.Meta)
			}
			v := f.Fields[1]
			if v.Labels["job"] != "prometheus" || v.Labels["instance"] == "" || v.Labels["__name__"] != "up" {
				t.Errorf("labels %v", v.Labels)
			}
			if want := "prometheus at " + v.Labels["instance"]; v.Config.DisplayNameFromDS != want {
				t.Errorf("display name %q, want %q", v.Config.DisplayNameFromDS, want)
			}
			if got, _ := v.FloatAt(0); got != 1 {
				t.Errorf("up = %v, want 1", got)
			}

			// No series: one typed frame without fields.
			now := time.Now()
			r, _ := prometheus.StepRange(now.Add(-time.Minute), now, time.Second, 0, 0)
			empty, err := c.QueryRange(ctx, prometheus.Query{Expr: `up{job="nothing-here"}`}, r)
			if err != nil || len(empty) != 1 || len(empty[0].Fields) != 0 || empty[0].Meta.Type != data.FrameTypeTimeSeriesMulti {
				t.Errorf("empty result: %v, %v", empty, err)
			}

			// A bad expression: the engine's own message, as a 4xx downstream error.
			_, err = c.QueryRange(ctx, prometheus.Query{Expr: "sum(("}, r)
			want := map[string]struct {
				status int
				msg    string
			}{"prometheus": {400, "parse error"}, "victoriametrics": {422, "unexpected token"}}[name]
			promtest.AssertUpstreamError(t, "bad expr", err, want.status, want.msg)

			vals, err := c.LabelValues(ctx, "job", nil, prometheus.Window(now.Add(-time.Hour), now))
			if err != nil || !slices.Contains(vals.Values, "prometheus") || vals.Truncated {
				t.Errorf("label values of job: %v, %v", vals, err)
			}
		})
	}
}
