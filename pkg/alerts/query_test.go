package alerts

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/data"
	v1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"

	"github.com/gopulse/health/pkg/alertmanager"
	"github.com/gopulse/health/pkg/prometheus"
	"github.com/gopulse/health/pkg/query"
	"github.com/gopulse/health/pkg/response"
	"github.com/gopulse/health/pkg/upstream"
)

// fakeProm answers with fixed alerts, rules and ALERTS series, and records its calls.
type fakeProm struct {
	alerts []v1.Alert
	rules  []v1.RuleGroup
	series []prometheus.Series // the answer to ALERTS range queries
	up     []prometheus.Series // the answer to other range queries (count(up))
	err    error

	calls  []string // "alerts", "rules", or the expression of a range query
	ranges []v1.Range
}

func (p *fakeProm) Alerts(context.Context) ([]v1.Alert, error) {
	p.calls = append(p.calls, "alerts")
	return p.alerts, p.err
}

func (p *fakeProm) Rules(context.Context) ([]v1.RuleGroup, error) {
	p.calls = append(p.calls, "rules")
	return p.rules, p.err
}

func (p *fakeProm) RangeSeries(_ context.Context, expr string, r v1.Range) ([]prometheus.Series, error) {
	p.calls = append(p.calls, expr)
	p.ranges = append(p.ranges, r)
	if !strings.HasPrefix(expr, "ALERTS") {
		return p.up, p.err
	}
	return p.series, p.err
}

// fakeAM answers with fixed alerts, or fails, and counts its calls.
type fakeAM struct {
	alerts []alertmanager.Alert
	err    error
	calls  int
}

func (a *fakeAM) Alerts(context.Context) ([]alertmanager.Alert, error) {
	a.calls++
	return a.alerts, a.err
}

// twoSources: Prometheus fires GoServiceDown on a:1 (P0) and GoHighErrorRatio on a:1
// (P1); the Alertmanager holds GoServiceDown on a:1, silenced, and Other on z:1 (P2).
func twoSources() (*fakeProm, *fakeAM) {
	prom := &fakeProm{alerts: []v1.Alert{
		alert("GoServiceDown", "firing", "P0", "a:1", 40),
		alert("GoHighErrorRatio", "firing", "P1", "a:1", 20),
	}}
	am := &fakeAM{alerts: []alertmanager.Alert{
		{Labels: map[string]string{"alertname": "GoServiceDown", "severity": "P0", "instance": "a:1", "job": "demo"}},
		{Labels: map[string]string{"alertname": "Other", "severity": "warning", "instance": "z:1"}, StartsAt: time.Unix(50, 0)},
	}}
	am.alerts[0].Status.SilencedBy = []string{"s1"}
	return prom, am
}

// column is the values of a table column, joined by "|".
func column(t *testing.T, f *data.Frame, name string) string {
	t.Helper()
	fl, _ := f.FieldByName(name)
	if fl == nil {
		t.Fatalf("frame has no field %s", name)
	}
	var out []string
	for i := range fl.Len() {
		v, _ := fl.ConcreteAt(i)
		switch v := v.(type) {
		case string:
			out = append(out, v)
		case bool:
			out = append(out, map[bool]string{true: "true", false: "false"}[v])
		}
	}
	return strings.Join(out, "|")
}

// Each source reads only its server: prometheus never asks the Alertmanager,
// alertmanager never asks Prometheus, both merges them by label set.
func TestRunSources(t *testing.T) {
	for _, c := range []struct {
		source                   query.AlertsSource
		promCalls, amCalls       int
		names, sources, silenced string
	}{
		{"prometheus", 1, 0, "GoServiceDown|GoHighErrorRatio", "prometheus|prometheus", "false|false"},
		{"", 1, 0, "GoServiceDown|GoHighErrorRatio", "prometheus|prometheus", "false|false"},
		{"alertmanager", 0, 1, "GoServiceDown|Other", "alertmanager|alertmanager", "true|false"},
		{"both", 1, 1, "GoServiceDown|GoHighErrorRatio|Other", "both|prometheus|alertmanager", "true|false|false"},
	} {
		t.Run(string(c.source), func(t *testing.T) {
			prom, am := twoSources()
			fr, err := Run(context.Background(), Sources{Prometheus: prom, Alertmanager: am}, query.Alerts{Source: c.source}, DefaultLevels(), prometheus.Request{})
			if err != nil {
				t.Fatal(err)
			}
			if len(prom.calls) != c.promCalls || am.calls != c.amCalls {
				t.Errorf("calls: Prometheus %q, Alertmanager %d; want %d and %d", prom.calls, am.calls, c.promCalls, c.amCalls)
			}
			if len(fr) != 1 {
				t.Fatalf("%d frames, want one table", len(fr))
			}
			if got := column(t, fr[0], "alertname"); got != c.names {
				t.Errorf("alerts %s, want %s", got, c.names)
			}
			if got := column(t, fr[0], "source"); got != c.sources {
				t.Errorf("sources %s, want %s", got, c.sources)
			}
			if got := column(t, fr[0], "silenced"); got != c.silenced {
				t.Errorf("silenced %s, want %s", got, c.silenced)
			}
		})
	}
}

// With both, a failing Alertmanager leaves the Prometheus part answered, with a notice,
// and the response carries the Alertmanager's downstream error with the frames. With
// alertmanager alone, its error is the answer.
func TestRunAlertmanagerFails(t *testing.T) {
	amErr := upstream.Errorf("Alertmanager", http.StatusBadGateway, "connection refused")
	prom, am := twoSources()
	am.err = amErr
	fr, err := Run(context.Background(), Sources{Prometheus: prom, Alertmanager: am}, query.Alerts{Source: "both"}, DefaultLevels(), prometheus.Request{})
	if !errors.Is(err, amErr) {
		t.Fatalf("error %v, want the Alertmanager's", err)
	}
	res := response.Response(fr, err)
	if res.Status != backend.StatusBadGateway || res.ErrorSource != backend.ErrorSourceDownstream {
		t.Errorf("answered %d %s, want 502 downstream", res.Status, res.ErrorSource)
	}
	if len(res.Frames) != 1 || column(t, res.Frames[0], "alertname") != "GoServiceDown|GoHighErrorRatio" {
		t.Fatalf("frames %v, want Prometheus's two alerts", res.Frames)
	}
	meta := res.Frames[0].Meta
	if meta == nil || len(meta.Notices) != 1 || meta.Notices[0].Severity != data.NoticeSeverityWarning ||
		!strings.Contains(meta.Notices[0].Text, "Alertmanager did not answer") || !strings.Contains(meta.Notices[0].Text, "connection refused") {
		t.Errorf("meta %+v, want one warning that the Alertmanager did not answer, with its error", meta)
	}

	prom, am = twoSources()
	am.err = amErr
	fr, err = Run(context.Background(), Sources{Prometheus: prom, Alertmanager: am}, query.Alerts{Source: "alertmanager"}, DefaultLevels(), prometheus.Request{})
	if !errors.Is(err, amErr) || len(fr) != 0 {
		t.Errorf("alertmanager alone: %v, %v; want its error and no frames", fr, err)
	}

	prom, am = twoSources()
	prom.err = upstream.Errorf("Prometheus", http.StatusServiceUnavailable, "server error 503")
	_, err = Run(context.Background(), Sources{Prometheus: prom, Alertmanager: am}, query.Alerts{Source: "both"}, DefaultLevels(), prometheus.Request{})
	if res := response.Response(nil, err); res.Status != http.StatusServiceUnavailable {
		t.Errorf("failing Prometheus: %v answered %d, want 503", err, res.Status)
	}
}

// A source that needs an Alertmanager without one configured, or a bad filter, is the
// query's fault, and no server is asked.
func TestRunBadInput(t *testing.T) {
	for _, c := range []struct {
		model query.Alerts
		want  string
	}{
		{query.Alerts{Source: "alertmanager"}, "no Alertmanager URL is configured"},
		{query.Alerts{Source: "both"}, "no Alertmanager URL is configured"},
		{query.Alerts{Severities: []string{"urgent"}}, `severity "urgent" is unknown`},
		{query.Alerts{Format: "timeline", Matchers: `alertname="x`}, "not a label-matcher list"},
	} {
		prom := &fakeProm{}
		_, err := Run(context.Background(), Sources{Prometheus: prom}, c.model, DefaultLevels(), prometheus.Request{})
		if err == nil || !strings.Contains(err.Error(), c.want) || response.Response(nil, err).Status != backend.StatusBadRequest {
			t.Errorf("%+v: %v, want a bad-input error containing %s", c.model, err, c.want)
		}
		if len(prom.calls) != 0 {
			t.Errorf("%+v: Prometheus asked %q", c.model, prom.calls)
		}
	}
}

// Counts, rules and timeline each ask the right source: counts the active alerts (merged
// with both), rules Prometheus's rules, timeline the ALERTS series of the filter's
// matchers over the request's range.
func TestRunFormats(t *testing.T) {
	prom, am := twoSources()
	fr, err := Run(context.Background(), Sources{Prometheus: prom, Alertmanager: am}, query.Alerts{Source: "both", Format: "counts"}, DefaultLevels(), prometheus.Request{})
	if err != nil {
		t.Fatal(err)
	}
	var counts []string
	for _, f := range fr {
		v, _ := f.Fields[0].FloatAt(0)
		counts = append(counts, fmt.Sprintf("%s=%v", f.Fields[0].Labels["priority"], v))
	}
	if got := strings.Join(counts, " "); !slices.Equal(prom.calls, []string{"alerts"}) || am.calls != 1 || got != "P0=1 P1=1 P2=1" {
		t.Errorf("counts %s after Prometheus %q and %d Alertmanager calls, want P0=1 P1=1 P2=1 from both", got, prom.calls, am.calls)
	}

	prom, am = twoSources()
	prom.rules = []v1.RuleGroup{{Name: "g", Rules: v1.Rules{
		v1.AlertingRule{Name: "Down", Labels: model.LabelSet{"severity": "P0"}, State: "firing", Health: "ok"},
		v1.AlertingRule{Name: "Slow", Labels: model.LabelSet{"severity": "warning"}, State: "inactive", Health: "ok"},
	}}}
	fr, err = Run(context.Background(), Sources{Prometheus: prom, Alertmanager: am}, query.Alerts{Source: "both", Format: "rules", Severities: []string{"P0"}}, DefaultLevels(), prometheus.Request{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(prom.calls, []string{"rules"}) || am.calls != 0 || len(fr) != 1 || fr[0].Rows() != 1 {
		t.Errorf("rules: frames %v after Prometheus %q and %d Alertmanager calls, want the P0 rule from Prometheus's rules", fr, prom.calls, am.calls)
	}

	prom, am = twoSources()
	t0 := time.Unix(1000, 0).UTC()
	prom.series = []prometheus.Series{{
		Labels: data.Labels{"__name__": "ALERTS", "alertname": "Down", "alertstate": "firing", "severity": "P0", "instance": "a:1"},
		Times:  []time.Time{t0.Add(10 * time.Second)}, Values: []float64{1},
	}}
	// Prometheus scraped from the second step on.
	prom.up = []prometheus.Series{{Labels: data.Labels{}, Times: []time.Time{t0.Add(10 * time.Second), t0.Add(20 * time.Second), t0.Add(30 * time.Second),
		t0.Add(40 * time.Second), t0.Add(50 * time.Second), t0.Add(60 * time.Second)}, Values: make([]float64, 6)}}
	req := prometheus.Request{From: t0, To: t0.Add(time.Minute), Interval: 10 * time.Second}
	fr, err = Run(context.Background(), Sources{Prometheus: prom, Alertmanager: am}, query.Alerts{Source: "both", Format: "timeline", Matchers: `alertname="Down"`}, DefaultLevels(), req)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(prom.calls, []string{`ALERTS{alertname="Down"}`, "count(up)"}) || am.calls != 0 {
		t.Errorf("timeline asked Prometheus %q and the Alertmanager %d times, want the ALERTS series of alertname=\"Down\" and where Prometheus had data", prom.calls, am.calls)
	}
	if r := prom.ranges[0]; !r.Start.Equal(t0) || !r.End.Equal(t0.Add(time.Minute)) || r.Step != 10*time.Second {
		t.Errorf("timeline range %+v, want the request's minute by 10s", r)
	}
	if len(fr) != 1 || fr[0].Name != "Down a:1" || column(t, fr[0], "state") != "no data|firing|ok|ok|ok|ok|ok" {
		t.Errorf("timeline %v, want Down a:1 firing at the second step", fr)
	}
}
