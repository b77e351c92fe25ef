package e2e

import (
	"context"
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/gopulse/health/e2e/harness"
	"github.com/gopulse/health/pkg/promname"
)

// nativeExprs are native-histogram expressions over the second demo target, with its
// names as s stores them: its request latency by route (positive buckets), its clock
// offset (negative, zero and positive buckets), and the latency of /api/cart as one series
// that is a histogram for five seconds in ten and a float (its count) the other five, as a
// series that changes type within a range is.
func nativeExprs(s *otelStack) (latency, offset, mixed string) {
	route := promname.Label(s.name("http.route"))
	duration := s.name("http.server.request.duration_seconds")
	cart := promname.Selector(duration, promname.Matcher(s.name("http.route"), "=", "/api/cart"))
	latency = "sum by (" + route + ") (rate(" + promname.Selector(duration, "") + "[5s]))"
	offset = "rate(" + promname.Selector(s.name("app.clock.offset_seconds"), "") + "[5s])"
	cartRate := "sum by (" + route + ") (rate(" + cart + "[5s]))"
	mixed = "(" + cartRate + " and on() (vector(time()) % 10 < 5)) or histogram_count(" + cartRate + ")"
	return latency, offset, mixed
}

// TestNativeHistograms runs native histograms through every promql format, against
// Prometheus scraping them (Prometheus 3, and Prometheus 2 with its native-histograms
// feature flag), through the plugin binary and the in-process plugin. With -record,
// Prometheus 3's answers to the three expressions are written to
// pkg/prometheus/testdata/prometheus-3.16 for the package's unit tests.
func TestNativeHistograms(t *testing.T) {
	t.Parallel()
	s := startOtelStack(t, "")
	nativeLatency, nativeOffset, nativeMixed := nativeExprs(s)
	route := s.name("http.route")
	// Twenty seconds of histograms, so that the mixed series has both kinds of samples.
	harness.WaitForQuery(t, s.prom.URL, `count_over_time(up{job="checkout"}[30s]) >= 20`, time.Minute)

	if *record && !s.utf8 {
		t.Log("not recorded: the recordings are Prometheus 3's")
	}
	if *record && s.utf8 {
		end := time.Now().Truncate(time.Second)
		for file, expr := range map[string]string{"range-native": nativeLatency, "range-offset": nativeOffset, "range-mixed": nativeMixed} {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			q := url.Values{"query": {expr}, "start": {strconv.FormatInt(end.Add(-10*time.Second).Unix(), 10)}, "end": {strconv.FormatInt(end.Unix(), 10)}, "step": {"1"}}
			code, body, err := harness.HTTPGet(ctx, s.prom.URL+"/api/v1/query_range?"+q.Encode())
			cancel()
			if err != nil || code != 200 {
				t.Fatalf("%s: HTTP %d %v: %.300s", expr, code, err, body)
			}
			recordBody(t, body, "pkg", "prometheus", "testdata", "prometheus-3.16", file+".json")
		}
	}

	ds := &harness.Settings{URL: s.prom.URL, JSONData: map[string]any{"scrapeInterval": "1s"}}
	promql := func(refID, expr, format string, more ...any) harness.Query {
		m := map[string]any{"queryType": "promql", "expr": expr, "format": format, "legendFormat": "{{" + route + "}}"}
		for i := 0; i+1 < len(more); i += 2 {
			m[more[i].(string)] = more[i+1]
		}
		return rangeQuery(refID, m)
	}
	queries := []harness.Query{
		promql("heatmap", nativeLatency, "heatmap"),
		promql("offset", nativeOffset, "heatmap"),
		promql("series", nativeLatency, "time_series"),
		promql("table", nativeLatency, "table"),
		promql("mixed-heatmap", nativeMixed, "heatmap"),
		promql("mixed-series", nativeMixed, "time_series"),
		promql("exemplar", nativeLatency, "time_series", "exemplar", true),
	}
	queryEachPlugin(t, ds, queries, func(t *testing.T, resp *backend.QueryDataResponse) {
		r := resp.Responses
		t.Run("heatmap-cells per route, positive buckets", func(t *testing.T) {
			requireNoError(t, r["heatmap"])
			var routes []string
			for _, f := range r["heatmap"].Frames {
				layouts := checkCells(t, f)
				if !slices.Equal(layouts, []int8{0}) {
					t.Errorf("latency buckets of layouts %v, want only (yMin,yMax] (0)", layouts)
				}
				routes = append(routes, f.Fields[2].Labels[route])
			}
			slices.Sort(routes)
			if !slices.Equal(routes, []string{"/api/cart", "/api/checkout"}) {
				t.Errorf("heatmap frames for routes %q, want /api/cart and /api/checkout", routes)
			}
		})
		t.Run("heatmap-cells keep negative and zero buckets", func(t *testing.T) {
			requireNoError(t, r["offset"])
			if len(r["offset"].Frames) != 1 {
				t.Fatalf("%d frames, want 1", len(r["offset"].Frames))
			}
			f := r["offset"].Frames[0]
			if layouts := checkCells(t, f); !slices.Equal(layouts, []int8{0, 1, 3}) {
				t.Errorf("clock offset bucket layouts %v, want positive (0), negative (1) and zero (3) buckets", layouts)
			}
			yMin, yMax, layout := f.Fields[1], f.Fields[2], f.Fields[4]
			for i := range f.Rows() {
				lo, _ := yMin.FloatAt(i)
				hi, _ := yMax.FloatAt(i)
				switch layout.At(i).(int8) {
				case 1:
					if hi > 0 {
						t.Fatalf("negative bucket [%v,%v) above zero", lo, hi)
					}
				case 3:
					if !(lo < 0 && hi > 0) {
						t.Fatalf("zero bucket [%v,%v] does not hold zero", lo, hi)
					}
				case 0:
					if lo < 0 {
						t.Fatalf("positive bucket (%v,%v] below zero", lo, hi)
					}
				}
			}
		})
		t.Run("time_series: count and sum, with a notice", func(t *testing.T) {
			got := displayNames(t, r["series"])
			want := []string{"/api/cart count", "/api/cart sum", "/api/checkout count", "/api/checkout sum"}
			if !slices.Equal(got, want) {
				t.Errorf("series %q, want %q", got, want)
			}
			checkHistogramNotice(t, r["series"], "count and the sum")
			for _, f := range r["series"].Frames {
				if v := lastValue(t, f); !(v > 0) {
					t.Errorf("%s: last value %v, want a rate > 0", f.Fields[1].Config.DisplayNameFromDS, v)
				}
			}
		})
		t.Run("table: count and sum columns", func(t *testing.T) {
			requireNoError(t, r["table"])
			f := onlyFrame(t, r["table"].Frames, data.FrameTypeTimeSeriesLong)
			count, _ := f.FieldByName("count")
			sum, _ := f.FieldByName("sum")
			if count == nil || sum == nil || f.Rows() == 0 {
				t.Fatalf("fields %s, want count and sum columns", describeFields(f))
			}
			for i := range f.Rows() {
				c, okc := count.ConcreteAt(i)
				sm, oks := sum.ConcreteAt(i)
				if !okc || !oks || !(c.(float64) > 0) || !(sm.(float64) > 0) {
					t.Fatalf("row %d: count %v sum %v, want rates > 0", i, c, sm)
				}
			}
			checkHistogramNotice(t, r["table"], "columns count and sum")
		})
		t.Run("mixed series: heatmap of the histograms, floats named", func(t *testing.T) {
			requireNoError(t, r["mixed-heatmap"])
			fr := r["mixed-heatmap"].Frames
			if len(fr) != 1 {
				t.Fatalf("%d frames, want the cells of /api/cart", len(fr))
			}
			checkCells(t, fr[0])
			if !hasNotice(fr[0], "{"+promname.Matcher(route, "=", "/api/cart")+"}", "float samples") {
				t.Errorf("notices %+v, want one naming the float samples left out", fr[0].Meta.Notices)
			}
		})
		t.Run("mixed series: floats, count and sum", func(t *testing.T) {
			got := displayNames(t, r["mixed-series"])
			if !slices.Equal(got, []string{"/api/cart", "/api/cart count", "/api/cart sum"}) {
				t.Errorf("series %q, want the float samples, and the histograms' count and sum", got)
			}
		})
		t.Run("exemplars refused", func(t *testing.T) {
			e := r["exemplar"]
			if e.Status != backend.StatusBadRequest || e.Error == nil || !strings.Contains(e.Error.Error(), "exemplar") {
				t.Errorf("exemplar: true: %d %v, want 400 saying exemplars are not supported", e.Status, e.Error)
			}
		})
	})
}

// checkCells checks a heatmap-cells frame as Grafana's heatmap panel reads it, and returns
// the boundary kinds (yLayout) it has, sorted.
func checkCells(t *testing.T, f *data.Frame) []int8 {
	t.Helper()
	if f.Meta == nil || f.Meta.Type != "heatmap-cells" {
		t.Fatalf("meta %+v, want heatmap-cells", f.Meta)
	}
	if got := strings.Join(fieldNames(f), ","); got != "xMax,yMin,yMax,count,yLayout" || f.Rows() == 0 {
		t.Fatalf("fields %s, %d rows; want xMax, yMin, yMax, count, yLayout", describeFields(f), f.Rows())
	}
	var layouts []int8
	for i := range f.Rows() {
		lo, _ := f.Fields[1].FloatAt(i)
		hi, _ := f.Fields[2].FloatAt(i)
		n, _ := f.Fields[3].FloatAt(i)
		if !(lo < hi) || n < 0 || math.IsNaN(n) {
			t.Fatalf("cell %d: bounds %v..%v count %v", i, lo, hi, n)
		}
		l := f.Fields[4].At(i).(int8)
		if !slices.Contains(layouts, l) {
			layouts = append(layouts, l)
		}
	}
	slices.Sort(layouts)
	return layouts
}

func checkHistogramNotice(t *testing.T, r backend.DataResponse, says string) {
	t.Helper()
	for _, f := range r.Frames {
		if !hasNotice(f, "native histograms (", says) {
			t.Errorf("frame notices %+v, want the native histograms notice saying %q", f.Meta.Notices, says)
		}
	}
}

func hasNotice(f *data.Frame, subs ...string) bool {
	if f.Meta == nil {
		return false
	}
	for _, n := range f.Meta.Notices {
		if len(containsFold(n.Text, subs...)) == 0 {
			return true
		}
	}
	return false
}
