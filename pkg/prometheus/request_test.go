package prometheus

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/gopulse/health/pkg/query"
	"github.com/gopulse/health/pkg/response"
)

// fakeAPI is a Prometheus HTTP API in memory (the client's transport). It records each
// request as its path and form, answers query_range with one series (job demo, instance
// a:1) with a sample at start, query with one sample, and an expression containing
// "fail" with Prometheus's bad_data error.
type fakeAPI struct {
	requests []url.Values // with "path" added
}

func (f *fakeAPI) RoundTrip(r *http.Request) (*http.Response, error) {
	if err := r.ParseForm(); err != nil {
		return nil, err
	}
	form := r.Form
	form.Set("path", r.URL.Path)
	f.requests = append(f.requests, form)
	answer := func(code int, body string) (*http.Response, error) {
		return &http.Response{StatusCode: code, Header: http.Header{"Content-Type": {"application/json"}},
			Body: io.NopCloser(bytes.NewReader([]byte(body))), Request: r}, nil
	}
	if strings.Contains(form.Get("query"), "fail") {
		return answer(http.StatusBadRequest, `{"status":"error","errorType":"bad_data","error":"parse error: fail"}`)
	}
	metric := `{"__name__":"up","job":"demo","instance":"a:1"}`
	if r.URL.Path == "/api/v1/query_range" {
		return answer(http.StatusOK, fmt.Sprintf(`{"status":"success","data":{"resultType":"matrix","result":[{"metric":%s,"values":[[%s,"1"]]}]}}`, metric, form.Get("start")))
	}
	return answer(http.StatusOK, fmt.Sprintf(`{"status":"success","data":{"resultType":"vector","result":[{"metric":%s,"value":[%s,"1"]}]}}`, metric, form.Get("time")))
}

func fakeClient(t *testing.T) (*Client, *fakeAPI) {
	t.Helper()
	api := &fakeAPI{}
	base, _ := url.Parse("http://prometheus.test:9090")
	c, err := New(base, &http.Client{Transport: api}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return c, api
}

// t0 is a whole hour: ranges that start a few seconds after it are aligned down to it.
var t0 = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

func sec(t time.Time) string { return fmt.Sprint(t.Unix()) }

func displayName(f *data.Frame) string {
	for _, fl := range f.Fields {
		if fl.Config != nil && fl.Config.DisplayNameFromDS != "" {
			return fl.Config.DisplayNameFromDS
		}
	}
	return ""
}

// RangeFrames runs its queries in order over the request's range, stepped by the panel
// (range / max data points) and aligned to the step, with Grafana's macros expanded,
// each with its legend.
func TestRangeFrames(t *testing.T) {
	c, api := fakeClient(t)
	req := Request{From: t0.Add(7 * time.Second), To: t0.Add(time.Hour + 7*time.Second), MaxDataPoints: 120, ScrapeInterval: 15 * time.Second}
	fr, err := c.RangeFrames(context.Background(), req, 0,
		Query{Expr: "rate(x[$__rate_interval])", LegendFormat: "{{instance}}"},
		Query{Expr: "avg_over_time(y[$__interval]) + $__range_s", LegendFormat: "{{job}} y"})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"rate(x[1m])", "avg_over_time(y[30s]) + 3600"}
	if len(api.requests) != len(want) {
		t.Fatalf("%d requests, want %d", len(api.requests), len(want))
	}
	for i, r := range api.requests {
		if r.Get("path") != "/api/v1/query_range" || r.Get("query") != want[i] || r.Get("start") != sec(t0) || r.Get("end") != sec(t0.Add(time.Hour)) || r.Get("step") != "30" {
			t.Errorf("request %d: %v, want %s from %s to %s by 30s", i, r, want[i], sec(t0), sec(t0.Add(time.Hour)))
		}
	}
	if len(fr) != 2 || displayName(fr[0]) != "a:1" || displayName(fr[1]) != "demo y" {
		t.Errorf("frames %v, want a:1 then demo y", fr)
	}
	for _, f := range fr {
		if f.Meta == nil || f.Meta.Type != data.FrameTypeTimeSeriesMulti || len(f.Meta.Notices) != 0 {
			t.Errorf("frame meta %+v, want timeseries-multi without notices", f.Meta)
		}
	}
}

// A step the point cap raises is said once, on the first frame; a range that cannot be
// stepped is the query's fault and sends nothing; a failing query keeps the frames before
// it and passes Prometheus's error on.
func TestRangeFramesNoticesAndErrors(t *testing.T) {
	c, api := fakeClient(t)
	req := Request{From: t0, To: t0.Add(24 * time.Hour), Interval: time.Second}
	fr, err := c.RangeFrames(context.Background(), req, 0, Query{Expr: "a"}, Query{Expr: "b"})
	if err != nil {
		t.Fatal(err)
	}
	if len(fr) != 2 || fr[0].Meta == nil || len(fr[0].Meta.Notices) != 1 || !strings.HasPrefix(fr[0].Meta.Notices[0].Text, "The step was raised from 1s to ") || len(fr[1].Meta.Notices) != 0 {
		t.Errorf("frames %v, want the raised step said on the first frame only", fr)
	}
	if step := api.requests[0].Get("step"); step == "1" || !strings.Contains(fr[0].Meta.Notices[0].Text, "to "+step+"s ") {
		t.Errorf("step %s, want the raised step of the notice %q", step, fr[0].Meta.Notices[0].Text)
	}

	c, api = fakeClient(t)
	_, err = c.RangeFrames(context.Background(), Request{From: t0, To: t0.Add(-time.Hour)}, 0, Query{Expr: "a"})
	if err == nil || response.Response(nil, err).Status != backend.StatusBadRequest || len(api.requests) != 0 {
		t.Errorf("from after to: %v after %d requests, want a bad-input error and none", err, len(api.requests))
	}

	fr, err = c.RangeFrames(context.Background(), Request{From: t0, To: t0.Add(time.Hour)}, 0, Query{Expr: "a"}, Query{Expr: "fail"}, Query{Expr: "c"})
	res := response.Response(fr, err)
	if res.Status != backend.StatusBadRequest || res.ErrorSource != backend.ErrorSourceDownstream || !strings.Contains(fmt.Sprint(err), "parse error: fail") {
		t.Errorf("failing query: %v answered %d %s, want Prometheus's 400 downstream", err, res.Status, res.ErrorSource)
	}
	if len(fr) != 1 || len(api.requests) != 2 {
		t.Errorf("failing query: %d frames after %d requests, want the first query's frame and no third request", len(fr), len(api.requests))
	}
}

// Run sends a range query, an instant query at the end of the range, or both (range
// frames first), with the macros expanded in each and the min step honoured.
func TestRun(t *testing.T) {
	no, yes := false, true
	req := Request{From: t0, To: t0.Add(time.Hour), MaxDataPoints: 120, ScrapeInterval: 15 * time.Second}
	for _, c := range []struct {
		name    string
		model   query.PromQL
		minStep time.Duration
		paths   string
		step    string
		types   string
	}{
		{"range by default", query.PromQL{Expr: "rate(x[$__rate_interval])"}, 0, "/api/v1/query_range", "30", "timeseries-multi"},
		{"instant only", query.PromQL{Expr: "rate(x[$__rate_interval])", Range: &no, Instant: true}, 0, "/api/v1/query", "", "numeric-multi"},
		{"both", query.PromQL{Expr: "rate(x[$__rate_interval])", Range: &yes, Instant: true}, 0, "/api/v1/query_range /api/v1/query", "30", "timeseries-multi numeric-multi"},
		{"min step", query.PromQL{Expr: "rate(x[$__rate_interval])"}, 2 * time.Minute, "/api/v1/query_range", "120", "timeseries-multi"},
	} {
		t.Run(c.name, func(t *testing.T) {
			cl, api := fakeClient(t)
			fr, err := cl.Run(context.Background(), c.model, c.minStep, req)
			if err != nil {
				t.Fatal(err)
			}
			var paths, types []string
			for _, r := range api.requests {
				paths = append(paths, r.Get("path"))
				rate := "1m" // four scrapes
				if c.minStep > 0 {
					rate = "2m15s" // one step and one scrape
				}
				if r.Get("query") != "rate(x["+rate+"])" {
					t.Errorf("%s asked %q, want rate(x[%s])", r.Get("path"), r.Get("query"), rate)
				}
				switch r.Get("path") {
				case "/api/v1/query_range":
					if r.Get("step") != c.step {
						t.Errorf("step %s, want %s", r.Get("step"), c.step)
					}
				case "/api/v1/query":
					if r.Get("time") != sec(req.To) {
						t.Errorf("instant query at %s, want the end of the range %s", r.Get("time"), sec(req.To))
					}
				}
			}
			for _, f := range fr {
				types = append(types, string(f.Meta.Type))
			}
			if strings.Join(paths, " ") != c.paths || strings.Join(types, " ") != c.types {
				t.Errorf("requests %q and frames %q, want %s and %s", paths, types, c.paths, c.types)
			}
		})
	}

	cl, _ := fakeClient(t)
	fr, err := cl.Run(context.Background(), query.PromQL{Expr: "fail", Instant: true}, 0, req)
	if res := response.Response(fr, err); res.Status != backend.StatusBadRequest || res.ErrorSource != backend.ErrorSourceDownstream || len(fr) != 0 {
		t.Errorf("failing range query: %v, %v answered %d %s; want Prometheus's error alone, 400 downstream", fr, err, res.Status, res.ErrorSource)
	}
}
