package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/gopulse/health/e2e/harness"
	"github.com/gopulse/health/internal/golden"
)

// The differential test's query settings: a minute of data at 5 s steps, so that
// $__rate_interval is 6 s (step + scrape interval) and a rate spans six scrapes.
const (
	diffRange    = time.Minute
	diffInterval = 5 * time.Second
)

// tolerance is how far a value through Thanos may be from the same value straight from
// one replica. The replicas scrape the same demo every second, each at its own offset in
// the second (Prometheus spreads scrapes by a hash of the target and its external
// labels), and deduplication answers from one replica's samples or the other's. A value
// at a step is then the demo's state up to one scrape interval earlier or later, and a
// rate over 6 s counts the demo's requests over a window shifted by up to a second:
// numbers may differ by the demo's own change within a second, which the noise between
// the two replicas themselves measures (logged). Times that are not on the step grid
// (an alert's "active since", which each replica's own rule evaluation stamps) may
// differ by one evaluation interval (1 s), rounded up.
type tolerance struct {
	rel  float64
	abs  float64
	time time.Duration
}

var throughThanos = tolerance{rel: 0.25, abs: 1e-9, time: 2 * time.Second}

// TestThanosQueryLayer runs GoPulse, as Grafana runs it (the built binary over gRPC),
// through Thanos Query deduplicating an HA pair of Prometheus replicas that scrape the
// same demo, and compares every answer with the same query asked of one replica
// straight: every query type of the golden cases (promql range and instant in every
// format, runtime, business, alerts from Prometheus, the Alertmanager and both, health,
// variables) and the editors' resources. Save & test names Thanos and its version.
// Killing a replica mid-run changes nothing a user sees. With -record, Thanos Query's
// build info and flags are written to pkg/prometheus/testdata for the unit tests.
func TestThanosQueryLayer(t *testing.T) {
	t.Parallel()
	cases, err := golden.LoadCases(harness.RepoPath(t, "pkg", "plugin", "testdata", "golden-cases.json"))
	if err != nil {
		t.Fatal(err)
	}
	ha := harness.StartHAStack(t, harness.HAOptions{Prometheus: harness.PrometheusOptions{
		ExtraRuleFiles: []string{harness.RepoPath(t, "e2e", "testdata", "e2e-ha-alerts.yml")},
	}})
	ready := time.Now()
	client := harness.StartPlugin(t)
	settings := func(u string) *harness.Settings {
		jd := map[string]any{"alertmanagerUrl": ha.Alertmanager.URL}
		for k, v := range cases.DataSources[golden.DataSourcePrometheus] {
			jd[k] = v
		}
		return &harness.Settings{URL: u, JSONData: jd}
	}
	thanos, replicaA, replicaB := settings(ha.Query.URL), settings(ha.Replicas[0].URL), settings(ha.Replicas[1].URL)

	t.Run("save and test", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		res, err := client.CheckHealth(ctx, thanos)
		if err != nil {
			t.Fatal(err)
		}
		want := fmt.Sprintf("Thanos Query %s (deduplicating over %s) is working at %s.", harness.ThanosVersion, harness.ReplicaLabel, ha.Query.Addr)
		if res.Status != backend.HealthStatusOk || !strings.Contains(res.Message, want) {
			t.Errorf("Save & test: %v %q, want %q", res.Status, res.Message, want)
		}
		t.Logf("Save & test: %s", res.Message)
		for name, path := range map[string]string{"buildinfo": "/api/v1/status/buildinfo", "flags": "/api/v1/status/flags"} {
			code, body, err := harness.HTTPGet(ctx, ha.Query.URL+path)
			if err != nil || code != 200 {
				t.Fatalf("%s: HTTP %d %v", path, code, err)
			}
			recordBody(t, body, "pkg", "prometheus", "testdata", "thanos-"+harness.ThanosVersion, name+".json")
		}
		direct, err := client.CheckHealth(ctx, replicaA)
		if err != nil || !strings.HasPrefix(direct.Message, "Prometheus "+ha.Replicas[0].Version(t)+" is working") {
			t.Errorf("Save & test of a replica: %+v, %v", direct, err)
		}
	})

	// The range starts once both replicas have scraped for a while and the alert fires.
	for _, u := range []string{ha.Replicas[0].URL, ha.Replicas[1].URL, ha.Query.URL} {
		harness.WaitForQuery(t, u, `ALERTS{alertname="E2EDemoScraped",alertstate="firing"}`, time.Minute)
	}
	from := ready.Add(15 * time.Second).Truncate(diffInterval)
	to := from.Add(diffRange)
	time.Sleep(time.Until(to.Add(2 * time.Second)))

	var queries []harness.Query
	for _, k := range cases.Cases {
		if k.DataSource != golden.DataSourcePrometheus {
			continue
		}
		var model map[string]any
		if err := json.Unmarshal(k.Query, &model); err != nil {
			t.Fatalf("%s: %v", k.Name, err)
		}
		queries = append(queries, harness.Query{RefID: k.Name, Model: model, From: from, To: to, Interval: diffInterval, MaxDataPoints: 20})
	}
	ask := func(ds *harness.Settings) map[string]backend.DataResponse {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		resp, err := client.QueryData(ctx, ds, queries...)
		if err != nil {
			t.Fatalf("QueryData at %s: %v", ds.URL, err)
		}
		return resp.Responses
	}
	viaThanos, fromA, fromB := ask(thanos), ask(replicaA), ask(replicaB)

	t.Run("queries", func(t *testing.T) {
		for _, q := range queries {
			t.Run(q.RefID, func(t *testing.T) {
				a, th := fromA[q.RefID], viaThanos[q.RefID]
				if a.Error != nil {
					t.Fatalf("straight from the replica: %v", a.Error)
				}
				if n := countValues(a.Frames); n == 0 {
					t.Fatalf("straight from the replica: no value to compare (%d frames)", len(a.Frames))
				}
				diffs, worst := diffResponses(a, th, throughThanos)
				for _, d := range diffs {
					t.Error(d)
				}
				_, noise := diffResponses(a, fromB[q.RefID], tolerance{})
				t.Logf("%d frames, %d values; largest relative difference through Thanos %.3g, between the replicas %.3g",
					len(a.Frames), countValues(a.Frames), worst, noise)
			})
		}
	})

	t.Run("resources", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		for _, path := range []string{
			"label-values?label=code&" + url.Values{"match[]": {`http_requests_total{job="demo"}`}}.Encode(),
			"label-values?label=job",
			"labels?" + url.Values{"match[]": {"http_requests_total"}}.Encode(),
			"labels",
			"metrics?match=" + url.QueryEscape("^demo_"),
			"metrics",
			"metadata?metric=http_request_duration_seconds",
			"metadata",
			"runtime-catalogue",
			"health-signals",
		} {
			var a, th any
			getJSON(ctx, t, client, replicaA, path, &a)
			getJSON(ctx, t, client, thanos, path, &th)
			if !reflect.DeepEqual(a, th) {
				t.Errorf("%s: through Thanos %.300v\nstraight %.300v", path, th, a)
			}
		}
	})

	// A replica dies (SIGKILL): first its Prometheus, its sidecar still up, then the
	// sidecar too, as when the replica's machine goes. Through Thanos every query keeps
	// answering the same series, without an error or a notice, with new samples.
	t.Run("replica killed", func(t *testing.T) {
		live := func(refID string, model map[string]any) harness.Query {
			now := time.Now()
			return harness.Query{RefID: refID, Model: model, From: now.Add(-2 * time.Minute), To: now, Interval: diffInterval, MaxDataPoints: 100}
		}
		ask := func() map[string]backend.DataResponse {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			resp, err := client.QueryData(ctx, thanos,
				live("up", map[string]any{"queryType": "promql", "expr": `up{job="demo"}`, "range": true}),
				live("rate", map[string]any{"queryType": "promql", "expr": `sum by (code) (rate(http_requests_total{job="demo"}[$__rate_interval]))`, "range": true, "instant": true}),
				live("goroutines", map[string]any{"queryType": "runtime", "signal": "goroutines", "job": "demo"}),
				live("requests", map[string]any{"queryType": "business", "metric": "http_requests_total", "job": "demo", "groupBy": []string{"code"}}),
				live("health", map[string]any{"queryType": "health", "job": "demo", "format": "table"}),
				live("alerts", map[string]any{"queryType": "alerts", "source": "both", "format": "table"}),
				live("rules", map[string]any{"queryType": "alerts", "format": "rules"}),
				live("codes", map[string]any{"queryType": "variable", "variableQuery": map[string]any{"kind": "label_values", "label": "code"}}),
			)
			if err != nil {
				t.Fatalf("QueryData: %v", err)
			}
			return resp.Responses
		}
		before := ask()
		want := map[string]string{}
		for refID, r := range before {
			if r.Error != nil || countValues(r.Frames) == 0 {
				t.Fatalf("%s before the kill: %d values, %v", refID, countValues(r.Frames), r.Error)
			}
			want[refID] = whatUsersSee(r.Frames)
		}
		check := func(stage string, killed time.Time) {
			var last time.Time
			for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(2 * time.Second) {
				for refID, r := range ask() {
					if r.Error != nil {
						t.Errorf("%s, %s: %v", stage, refID, r.Error)
						continue
					}
					if got := whatUsersSee(r.Frames); got != want[refID] {
						t.Errorf("%s, %s: the answer changed:\n%s\nwant\n%s", stage, refID, got, want[refID])
					}
					if refID == "up" {
						times := r.Frames[0].Fields[0]
						last = times.At(times.Len() - 1).(time.Time)
					}
				}
			}
			if !last.After(killed.Add(5 * time.Second)) {
				t.Errorf("%s: the last sample of up is at %v, want new samples after the kill at %v", stage, last, killed)
			}
		}
		killedProm := time.Now()
		if err := ha.Replicas[0].Kill(); err != nil {
			t.Fatal(err)
		}
		check("replica a's Prometheus killed", killedProm)
		killedSidecar := time.Now()
		if err := ha.Sidecars[0].Kill(); err != nil {
			t.Fatal(err)
		}
		check("replica a's sidecar killed too", killedSidecar)

		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		res, err := client.CheckHealth(ctx, thanos)
		if err != nil || res.Status != backend.HealthStatusOk || !strings.Contains(res.Message, "Thanos Query "+harness.ThanosVersion) {
			t.Errorf("Save & test with one replica: %+v, %v", res, err)
		}
	})
}

// whatUsersSee is what identifies an answer in a panel: its frames' names, types and
// notices, their fields' names, labels and display names, and the text of table cells;
// not the numbers and times, which move on.
func whatUsersSee(frames data.Frames) string {
	var b strings.Builder
	for _, f := range frames {
		fmt.Fprintf(&b, "frame %q", f.Name)
		if f.Meta != nil {
			fmt.Fprintf(&b, " %s", f.Meta.Type)
			for _, n := range f.Meta.Notices {
				fmt.Fprintf(&b, " notice %q", n.Text)
			}
		}
		b.WriteString("\n")
		for _, fl := range f.Fields {
			fmt.Fprintf(&b, "  %s %s %s", fl.Name, fl.Type(), fl.Labels)
			if fl.Config != nil {
				fmt.Fprintf(&b, " %q", fl.Config.DisplayNameFromDS)
			}
			if fl.Type() == data.FieldTypeString || fl.Type() == data.FieldTypeNullableString {
				for i := range fl.Len() {
					v, _ := fl.ConcreteAt(i)
					fmt.Fprintf(&b, " %q", v)
				}
			}
			b.WriteString("\n")
		}
	}
	return b.String()
}

// countValues counts the values of the frames' fields.
func countValues(frames data.Frames) int {
	n := 0
	for _, f := range frames {
		for _, fl := range f.Fields {
			n += fl.Len()
		}
	}
	return n
}

// diffResponses lists what differs between two answers to one query beyond tol, and
// the largest relative difference between their numbers (numbers in text included).
func diffResponses(want, got backend.DataResponse, tol tolerance) ([]string, float64) {
	d := &differ{tol: tol}
	switch {
	case (want.Error == nil) != (got.Error == nil):
		d.addf("error %v, want %v", got.Error, want.Error)
	case want.Error != nil:
		d.text("error", want.Error.Error(), got.Error.Error())
	}
	if want.Status != got.Status {
		d.addf("status %d, want %d", got.Status, want.Status)
	}
	if len(want.Frames) != len(got.Frames) {
		d.addf("%d frames, want %d", len(got.Frames), len(want.Frames))
		return d.diffs, d.worst
	}
	for i := range want.Frames {
		d.frame(fmt.Sprintf("frame %d (%s)", i, want.Frames[i].Name), want.Frames[i], got.Frames[i])
	}
	return d.diffs, d.worst
}

type differ struct {
	tol   tolerance
	diffs []string
	worst float64
}

func (d *differ) addf(format string, args ...any) {
	if len(d.diffs) < 20 {
		d.diffs = append(d.diffs, fmt.Sprintf(format, args...))
	}
}

func (d *differ) frame(at string, want, got *data.Frame) {
	if want.Name != got.Name {
		d.addf("%s: name %q", at, got.Name)
	}
	wm, gm := want.Meta, got.Meta
	if (wm == nil) != (gm == nil) {
		d.addf("%s: meta %+v, want %+v", at, gm, wm)
		return
	}
	if wm != nil {
		if wm.Type != gm.Type || wm.TypeVersion != gm.TypeVersion || wm.ExecutedQueryString != gm.ExecutedQueryString || wm.PreferredVisualization != gm.PreferredVisualization {
			d.addf("%s: meta type %s %v, query %q, visualisation %q; want %s %v, %q, %q", at,
				gm.Type, gm.TypeVersion, gm.ExecutedQueryString, gm.PreferredVisualization,
				wm.Type, wm.TypeVersion, wm.ExecutedQueryString, wm.PreferredVisualization)
		}
		if len(wm.Notices) != len(gm.Notices) {
			d.addf("%s: notices %+v, want %+v", at, gm.Notices, wm.Notices)
		} else {
			for i := range wm.Notices {
				if wm.Notices[i].Severity != gm.Notices[i].Severity {
					d.addf("%s: notice %d severity %v, want %v", at, i, gm.Notices[i].Severity, wm.Notices[i].Severity)
				}
				d.text(at+" notice", wm.Notices[i].Text, gm.Notices[i].Text)
			}
		}
		wc, _ := json.Marshal(wm.Custom)
		gc, _ := json.Marshal(gm.Custom)
		d.text(at+" custom meta", string(wc), string(gc))
	}
	if len(want.Fields) != len(got.Fields) {
		d.addf("%s: fields %s, want %s", at, describeFields(got), describeFields(want))
		return
	}
	for i, wf := range want.Fields {
		gf := got.Fields[i]
		fat := fmt.Sprintf("%s field %q", at, wf.Name)
		if wf.Name != gf.Name || wf.Type() != gf.Type() {
			d.addf("%s: field %s %s, want %s", fat, gf.Name, gf.Type(), wf.Type())
			continue
		}
		if wf.Labels.String() != gf.Labels.String() {
			d.addf("%s: labels %s, want %s", fat, gf.Labels, wf.Labels)
		}
		wc, _ := json.Marshal(wf.Config)
		gc, _ := json.Marshal(gf.Config)
		d.text(fat+" config", string(wc), string(gc))
		if wf.Len() != gf.Len() {
			d.addf("%s: %d values, want %d", fat, gf.Len(), wf.Len())
			continue
		}
		for j := 0; j < wf.Len(); j++ {
			d.value(fmt.Sprintf("%s row %d", fat, j), wf, gf, j)
		}
	}
}

// value compares the j-th values of two fields of the same type.
func (d *differ) value(at string, want, got *data.Field, j int) {
	switch {
	case want.Type().Numeric():
		w, _ := want.NullableFloatAt(j)
		g, _ := got.NullableFloatAt(j)
		if (w == nil) != (g == nil) {
			d.addf("%s: %v, want %v", at, deref(g), deref(w))
			return
		}
		if w != nil {
			d.number(at, *w, *g)
		}
	case want.Type().Time():
		w, wok := want.ConcreteAt(j)
		g, gok := got.ConcreteAt(j)
		if wok != gok {
			d.addf("%s: %v, want %v", at, g, w)
			return
		}
		if wok {
			if diff := w.(time.Time).Sub(g.(time.Time)).Abs(); diff > d.tol.time {
				d.addf("%s: %v, want %v (off by %v)", at, g, w, diff)
			}
		}
	case want.Type() == data.FieldTypeString || want.Type() == data.FieldTypeNullableString:
		w, _ := want.ConcreteAt(j)
		g, _ := got.ConcreteAt(j)
		ws, _ := w.(string)
		gs, _ := g.(string)
		d.text(at, ws, gs)
	default:
		w, _ := want.ConcreteAt(j)
		g, _ := got.ConcreteAt(j)
		if !reflect.DeepEqual(w, g) {
			d.addf("%s: %v, want %v", at, g, w)
		}
	}
}

func deref(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}

// number compares two numbers within the tolerance; NaN equals NaN, infinities equal
// themselves.
func (d *differ) number(at string, want, got float64) {
	if want == got || math.IsNaN(want) && math.IsNaN(got) {
		return
	}
	diff := math.Abs(want - got)
	scale := math.Max(math.Abs(want), math.Abs(got))
	rel := diff / scale
	if math.IsNaN(rel) || math.IsInf(want, 0) || math.IsInf(got, 0) || math.IsNaN(want) || math.IsNaN(got) {
		rel = math.Inf(1)
	}
	if diff > d.tol.abs {
		d.worst = math.Max(d.worst, rel)
	}
	if diff > d.tol.abs && rel > d.tol.rel {
		d.addf("%s: %v, want %v (relative difference %.3g)", at, got, want, rel)
	}
}

// numberInText finds the numbers of a text: values in reasons and notices
// ("latency p99 830 ms"), addresses' digits alike.
var numberInText = regexp.MustCompile(`-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?`)

// text compares two texts whose words must be equal and whose numbers must agree within
// the tolerance.
func (d *differ) text(at, want, got string) {
	if want == got {
		return
	}
	wn, gn := numberInText.FindAllString(want, -1), numberInText.FindAllString(got, -1)
	if numberInText.ReplaceAllString(want, "#") != numberInText.ReplaceAllString(got, "#") || len(wn) != len(gn) {
		d.addf("%s: %q, want %q", at, got, want)
		return
	}
	for i := range wn {
		w, werr := strconv.ParseFloat(wn[i], 64)
		g, gerr := strconv.ParseFloat(gn[i], 64)
		if werr != nil || gerr != nil {
			if wn[i] != gn[i] {
				d.addf("%s: %q, want %q", at, got, want)
			}
			continue
		}
		d.number(at, w, g)
	}
}
