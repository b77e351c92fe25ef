package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"reflect"
	"regexp"
	"slices"
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

// Values through Thanos are compared with the noise between the two replicas. Both
// scrape the same demo every second, each at its own offset within the second
// (Prometheus spreads scrapes by a hash of the target and its external labels), and
// evaluate their rules at their own offsets. Deduplication serves the samples of one
// replica, switching to the other only over a gap, so every number and time through
// Thanos is what one replica answers: no further from replica a's than replica b's is,
// up to float rounding (roundoff, relative). That is the whole tolerance.
const roundoff = 1e-9

// perEvaluation are fields that each replica stamps at every rule evaluation, once a
// second: two answers asked a moment apart never share them. Their values are not
// compared, their presence and type are.
var perEvaluation = map[string]bool{"lastEvaluation": true, "evaluationSeconds": true}

// TestThanosQueryLayer runs GoPulse, as Grafana runs it (the built binary over gRPC),
// through Thanos Query deduplicating an HA pair of Prometheus replicas that scrape the
// same demo, and compares every answer with the same query asked of one replica
// straight: every query type of the golden cases (promql range and instant in every
// format, runtime, business, alerts from Prometheus, the Alertmanager and both, health,
// variables) and the editors' resources. Save & test names Thanos and its version.
// Killing a replica mid-run changes nothing a user sees. With -record, Thanos Query's
// answers to Save & test (build info, flags, 1+1) and its metadata of a metric that the
// demo and the Alertmanager describe differently are written to pkg/prometheus/testdata
// for the unit tests.
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
		// The test watches the engines as they are at each moment: no answer kept from
		// before a kill may stand in for one asked after it.
		jd["cacheTTL"] = "0s"
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
		version, err := harness.BuildInfoVersion(ctx, ha.Query.URL)
		if err != nil {
			t.Fatal(err)
		}
		want := fmt.Sprintf("Thanos Query %s (deduplicating over %s) is working at %s.", version, harness.ReplicaLabel, ha.Query.Addr)
		if res.Status != backend.HealthStatusOk || !strings.Contains(res.Message, want) {
			t.Errorf("Save & test: %v %q, want %q", res.Status, res.Message, want)
		}
		t.Logf("Save & test: %s", res.Message)
		for name, path := range map[string]string{"buildinfo": "/api/v1/status/buildinfo", "flags": "/api/v1/status/flags", "query-scalar": "/api/v1/query?query=1%2B1", "metadata": "/api/v1/metadata?metric=go_memstats_heap_objects"} {
			code, body, err := harness.HTTPGet(ctx, ha.Query.URL+path)
			if err != nil || code != 200 {
				t.Fatalf("%s: HTTP %d %v", path, code, err)
			}
			recordBody(t, body, "pkg", "prometheus", "testdata", "thanos-"+version, name+".json")
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
				b := fromB[q.RefID]
				if isLabelNames(q) {
					th = dedupLabelRowDropped(t, th)
				}
				if isInstantVector(q) {
					a, b, th = bySeries(a), bySeries(b), bySeries(th)
				}
				diffs, worst := diffResponses(a, th, b)
				for _, d := range diffs {
					t.Error(d)
				}
				_, noise := diffResponses(a, b, b)
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
			if strings.HasPrefix(path, "labels") {
				th = withoutDedupLabel(t, path, th)
			}
			if reflect.DeepEqual(a, th) {
				continue
			}
			al, aok := a.([]any)
			tl, tok := th.([]any)
			if !aok || !tok {
				t.Errorf("%s: through Thanos %.300v\nstraight %.300v", path, th, a)
				continue
			}
			missing, extra := listDiff(al, tl)
			t.Errorf("%s: through Thanos %d entries, straight %d; missing through Thanos %.1000v; only through Thanos %.1000v", path, len(tl), len(al), missing, extra)
		}
	})

	// A replica dies (SIGKILL): first its Prometheus, its sidecar still up, then the
	// sidecar too, as when the replica's machine goes. Through Thanos every query keeps
	// answering the same series, without an error, with new samples. While the dead
	// Prometheus's sidecar still answers, Thanos Query says in a warning that it could not
	// read that replica (its partial response): GoPulse shows it as a notice, the only
	// difference. Once the sidecar is gone too, nothing differs.
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
			want[refID] = whatUsersSee(r.Frames, nil)
		}
		// The warning of a partial response naming the dead replica's sidecar.
		partial := func(n data.Notice) bool {
			return n.Severity == data.NoticeSeverityWarning && strings.Contains(n.Text, ha.Sidecars[0].GRPCAddr)
		}
		check := func(stage string, killed time.Time, tolerated func(data.Notice) bool) {
			var last time.Time
			answers, warned := 0, 0
			for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(2 * time.Second) {
				for refID, r := range ask() {
					answers++
					if r.Error != nil {
						t.Errorf("%s, %s: %v", stage, refID, r.Error)
						continue
					}
					if whatUsersSee(r.Frames, nil) != whatUsersSee(r.Frames, tolerated) {
						warned++
					}
					if got := whatUsersSee(r.Frames, tolerated); got != want[refID] {
						t.Errorf("%s, %s: the answer changed:\n%s\nwant\n%s", stage, refID, got, want[refID])
					}
					if refID == "up" {
						times := r.Frames[0].Fields[0]
						last = times.At(times.Len() - 1).(time.Time)
					}
				}
			}
			t.Logf("%s: %d answers, %d with Thanos's warning that replica a is not answering", stage, answers, warned)
			if !last.After(killed.Add(5 * time.Second)) {
				t.Errorf("%s: the last sample of up is at %v, want new samples after the kill at %v", stage, last, killed)
			}
		}
		killedProm := time.Now()
		if err := ha.Replicas[0].Kill(); err != nil {
			t.Fatal(err)
		}
		check("replica a's Prometheus killed", killedProm, partial)
		killedSidecar := time.Now()
		if err := ha.Sidecars[0].Kill(); err != nil {
			t.Fatal(err)
		}
		check("replica a's sidecar killed too", killedSidecar, nil)

		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		res, err := client.CheckHealth(ctx, thanos)
		if err != nil || res.Status != backend.HealthStatusOk || !strings.Contains(res.Message, "Thanos Query ") {
			t.Errorf("Save & test with one replica: %+v, %v", res, err)
		}
	})
}

// whatUsersSee is what identifies an answer in a panel: its frames' names, types and
// notices (but those skip tells), their fields' names, labels and display names, and the
// text of table cells; not the numbers and times, which move on.
func whatUsersSee(frames data.Frames, skip func(data.Notice) bool) string {
	var b strings.Builder
	for _, f := range frames {
		fmt.Fprintf(&b, "frame %q", f.Name)
		if f.Meta != nil {
			fmt.Fprintf(&b, " %s", f.Meta.Type)
			for _, n := range f.Meta.Notices {
				if skip == nil || !skip(n) {
					fmt.Fprintf(&b, " notice %q", n.Text)
				}
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

// withoutDedupLabel drops the deduplication label from a list of label names through
// Thanos: Thanos Query lists its endpoints' external labels among the label names (the
// replica label too, which selects one replica), while the series it answers do not
// carry it. Prometheus knows nothing of its external labels in its own label names.
func withoutDedupLabel(t *testing.T, what string, names any) any {
	list, ok := names.([]any)
	if !ok {
		return names
	}
	out := slices.DeleteFunc(slices.Clone(list), func(v any) bool { return v == harness.ReplicaLabel })
	if len(out) != len(list) {
		t.Logf("%s: through Thanos, the label names include %q", what, harness.ReplicaLabel)
	}
	return out
}

// isLabelNames tells whether q is a label_names variable query.
func isLabelNames(q harness.Query) bool {
	m, _ := q.Model.(map[string]any)
	vq, _ := m["variableQuery"].(map[string]any)
	return vq["kind"] == "label_names"
}

// isInstantVector tells whether q answers an instant vector: an instant promql query, or
// a query_result variable.
func isInstantVector(q harness.Query) bool {
	m, _ := q.Model.(map[string]any)
	vq, _ := m["variableQuery"].(map[string]any)
	return m["queryType"] == "promql" && m["instant"] == true && m["range"] != true || vq["kind"] == "query_result"
}

// bySeries orders an instant vector's answer by series: its frames by their fields'
// labels, each frame's rows by their text cells. Prometheus 3 leaves the series of an
// instant vector in the order its engine met them, which differs between a Prometheus 3
// replica and Thanos Query (Prometheus 2.42 and Thanos agree): that order is not one a
// user can rely on (sort() and sort_by_label() in PromQL make one).
func bySeries(r backend.DataResponse) backend.DataResponse {
	out := r
	out.Frames = slices.Clone(r.Frames)
	key := func(f *data.Frame) string {
		var b strings.Builder
		for _, fl := range f.Fields {
			b.WriteString(fl.Labels.String())
		}
		return b.String()
	}
	slices.SortStableFunc(out.Frames, func(x, y *data.Frame) int { return strings.Compare(key(x), key(y)) })
	for i, f := range out.Frames {
		out.Frames[i] = rowsByText(f)
	}
	return out
}

// rowsByText returns a copy of f with its rows sorted by their text cells.
func rowsByText(f *data.Frame) *data.Frame {
	n := f.Rows()
	rowKey := func(i int) string {
		var b strings.Builder
		for _, fl := range f.Fields {
			if fl.Type() == data.FieldTypeString || fl.Type() == data.FieldTypeNullableString {
				v, _ := fl.ConcreteAt(i)
				fmt.Fprintf(&b, "%v\x00", v)
			}
		}
		return b.String()
	}
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(x, y int) int { return strings.Compare(rowKey(x), rowKey(y)) })
	out := data.NewFrame(f.Name)
	out.Meta = f.Meta
	for _, fl := range f.Fields {
		nf := data.NewFieldFromFieldType(fl.Type(), n)
		nf.Name, nf.Labels, nf.Config = fl.Name, fl.Labels, fl.Config
		for to, from := range order {
			nf.Set(to, fl.At(from))
		}
		out.Fields = append(out.Fields, nf)
	}
	return out
}

// dedupLabelRowDropped drops the deduplication label's row from a variable's frames
// (text, value) through Thanos: see withoutDedupLabel.
func dedupLabelRowDropped(t *testing.T, r backend.DataResponse) backend.DataResponse {
	for _, f := range r.Frames {
		value, _ := f.FieldByName("value")
		if value == nil {
			continue
		}
		for i := value.Len() - 1; i >= 0; i-- {
			if v, _ := value.ConcreteAt(i); v == harness.ReplicaLabel {
				f.DeleteRow(i)
				t.Logf("through Thanos, the label names include %q", harness.ReplicaLabel)
			}
		}
	}
	return r
}

// listDiff lists the entries of want missing from got, and those only in got.
func listDiff(want, got []any) (missing, extra []string) {
	count := map[string]int{}
	for _, v := range want {
		b, _ := json.Marshal(v)
		count[string(b)]++
	}
	for _, v := range got {
		b, _ := json.Marshal(v)
		if count[string(b)] > 0 {
			count[string(b)]--
		} else {
			extra = append(extra, string(b))
		}
	}
	for k, n := range count {
		for range n {
			missing = append(missing, k)
		}
	}
	slices.Sort(missing)
	return missing, extra
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

// diffResponses lists what differs between got (through Thanos) and want (straight
// from replica a): the same errors, frames, names, meta, notices, fields, labels,
// configs and row counts; each number and time no further from want's than other's
// (replica b) is. It also returns the largest relative difference between got's and
// want's numbers.
func diffResponses(want, got, other backend.DataResponse) ([]string, float64) {
	d := &differ{}
	switch {
	case (want.Error == nil) != (got.Error == nil):
		d.addf("error %v, want %v", got.Error, want.Error)
	case want.Error != nil:
		d.text("error", want.Error.Error(), got.Error.Error(), "")
	}
	if want.Status != got.Status {
		d.addf("status %d, want %d", got.Status, want.Status)
	}
	if len(want.Frames) != len(got.Frames) {
		d.addf("%d frames, want %d", len(got.Frames), len(want.Frames))
		return d.diffs, d.worst
	}
	for i, wf := range want.Frames {
		var of *data.Frame
		if len(other.Frames) == len(want.Frames) {
			of = other.Frames[i]
		}
		d.frame(fmt.Sprintf("frame %d (%s)", i, wf.Name), wf, got.Frames[i], of)
	}
	return d.diffs, d.worst
}

type differ struct {
	diffs []string
	worst float64
}

func (d *differ) addf(format string, args ...any) {
	if len(d.diffs) < 20 {
		d.diffs = append(d.diffs, fmt.Sprintf(format, args...))
	}
}

// frame compares got with want; other (nil when its shape differs) is the noise.
func (d *differ) frame(at string, want, got, other *data.Frame) {
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
				o := ""
				if other != nil && other.Meta != nil && len(other.Meta.Notices) == len(wm.Notices) {
					o = other.Meta.Notices[i].Text
				}
				d.text(at+" notice", wm.Notices[i].Text, gm.Notices[i].Text, o)
			}
		}
		wc, _ := json.Marshal(wm.Custom)
		gc, _ := json.Marshal(gm.Custom)
		d.text(at+" custom meta", string(wc), string(gc), "")
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
		d.text(fat+" config", string(wc), string(gc), "")
		if wf.Len() != gf.Len() {
			d.addf("%s: %d values, want %d", fat, gf.Len(), wf.Len())
			continue
		}
		if perEvaluation[wf.Name] {
			continue
		}
		var of *data.Field
		if other != nil && len(other.Fields) == len(want.Fields) && other.Fields[i].Len() == wf.Len() && other.Fields[i].Type() == wf.Type() {
			of = other.Fields[i]
		}
		for j := 0; j < wf.Len(); j++ {
			d.value(fmt.Sprintf("%s row %d", fat, j), wf, gf, of, j)
		}
	}
}

// value compares the j-th values of two fields of the same type; other (may be nil) is
// the noise.
func (d *differ) value(at string, want, got, other *data.Field, j int) {
	w, wok := want.ConcreteAt(j)
	g, gok := got.ConcreteAt(j)
	var o any
	if other != nil {
		o, _ = other.ConcreteAt(j)
	}
	if wok != gok {
		d.addf("%s: %v, want %v", at, g, w)
		return
	}
	if !wok {
		return
	}
	switch {
	case want.Type().Numeric():
		wf, _ := want.NullableFloatAt(j)
		gf, _ := got.NullableFloatAt(j)
		of := math.NaN()
		if other != nil {
			if p, _ := other.NullableFloatAt(j); p != nil {
				of = *p
			}
		}
		d.number(at, *wf, *gf, of)
	case want.Type().Time():
		wt, gt := w.(time.Time), g.(time.Time)
		ot, ok := o.(time.Time)
		if !wt.Equal(gt) && (!ok || gt.Sub(wt).Abs() > ot.Sub(wt).Abs()) {
			d.addf("%s: %v, want %v (the other replica: %v)", at, gt, wt, o)
		}
	case want.Type() == data.FieldTypeString || want.Type() == data.FieldTypeNullableString:
		os, _ := o.(string)
		d.text(at, w.(string), g.(string), os)
	default:
		if !reflect.DeepEqual(w, g) {
			d.addf("%s: %v, want %v", at, g, w)
		}
	}
}

// number compares got with want: equal up to roundoff, or no further from want than
// other is (NaN other: no noise known). NaN equals NaN, an infinity itself.
func (d *differ) number(at string, want, got, other float64) {
	if want == got || math.IsNaN(want) && math.IsNaN(got) {
		return
	}
	diff := math.Abs(want - got)
	rel := diff / math.Max(math.Abs(want), math.Abs(got))
	if math.IsNaN(rel) || math.IsNaN(want) || math.IsNaN(got) || math.IsInf(want, 0) || math.IsInf(got, 0) {
		rel = math.Inf(1)
	}
	d.worst = math.Max(d.worst, rel)
	if rel <= roundoff || diff <= math.Abs(other-want)*(1+roundoff) {
		return
	}
	d.addf("%s: %v, want %v (relative difference %.3g; the other replica: %v)", at, got, want, rel, other)
}

// numberInText finds the numbers of a text: values in reasons and notices
// ("latency p99 830 ms"), addresses' digits alike.
var numberInText = regexp.MustCompile(`-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?`)

// text compares two texts: the same words, and numbers compared as by number, with
// other's numbers as the noise when other has the same words.
func (d *differ) text(at, want, got, other string) {
	if want == got {
		return
	}
	shape := numberInText.ReplaceAllString(want, "#")
	if numberInText.ReplaceAllString(got, "#") != shape {
		d.addf("%s: %q, want %q", at, got, want)
		return
	}
	wn, gn := numberInText.FindAllString(want, -1), numberInText.FindAllString(got, -1)
	var on []string
	if numberInText.ReplaceAllString(other, "#") == shape {
		on = numberInText.FindAllString(other, -1)
	}
	for i := range wn {
		w, werr := strconv.ParseFloat(wn[i], 64)
		g, gerr := strconv.ParseFloat(gn[i], 64)
		o := math.NaN()
		if on != nil {
			o, _ = strconv.ParseFloat(on[i], 64)
		}
		if werr != nil || gerr != nil {
			if wn[i] != gn[i] {
				d.addf("%s: %q, want %q", at, got, want)
			}
			continue
		}
		d.number(at, w, g, o)
	}
}
