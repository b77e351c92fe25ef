package variables

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

	"github.com/gopulse/health/pkg/goexpvar"
	"github.com/gopulse/health/pkg/prometheus"
	"github.com/gopulse/health/pkg/query"
	"github.com/gopulse/health/pkg/response"
	"github.com/gopulse/health/pkg/upstream"
)

var (
	from = time.Date(2026, 11, 25, 11, 0, 0, 0, time.UTC)
	to   = from.Add(time.Hour)
	req  = prometheus.Request{From: from, To: to, Interval: 30 * time.Second, ScrapeInterval: 15 * time.Second}
)

// fakeProm answers from fixed lists and records every call as one line: the method, its
// label or expression, its matches, and its window or time.
type fakeProm struct {
	values, names []string
	series        []prometheus.Series
	groups        []v1.RuleGroup
	err           error
	calls         []string
}

func window(r v1.Range) string {
	return r.Start.Format(time.TimeOnly) + "-" + r.End.Format(time.TimeOnly)
}

func (p *fakeProm) LabelValues(_ context.Context, label string, matches []string, r v1.Range) (prometheus.List, error) {
	p.calls = append(p.calls, fmt.Sprintf("LabelValues %s %q %s", label, matches, window(r)))
	return prometheus.List{Values: p.values}, p.err
}

func (p *fakeProm) LabelNames(_ context.Context, matches []string, r v1.Range) (prometheus.List, error) {
	p.calls = append(p.calls, fmt.Sprintf("LabelNames %q %s", matches, window(r)))
	return prometheus.List{Values: p.names}, p.err
}

func (p *fakeProm) InstantSeries(_ context.Context, expr string, at time.Time) ([]prometheus.Series, error) {
	p.calls = append(p.calls, fmt.Sprintf("InstantSeries %s %s", expr, at.Format(time.TimeOnly)))
	return p.series, p.err
}

func (p *fakeProm) Rules(context.Context) ([]v1.RuleGroup, error) {
	p.calls = append(p.calls, "Rules")
	return p.groups, p.err
}

// fakeExpvar has two targets with a few variables each.
type fakeExpvar struct {
	targets []goexpvar.Target
	vars    map[string][]goexpvar.Var
}

func (e *fakeExpvar) Start(context.Context)                    {}
func (e *fakeExpvar) WaitFirstPoll(context.Context, ...string) {}
func (e *fakeExpvar) Targets() []goexpvar.Target               { return e.targets }
func (e *fakeExpvar) History() *goexpvar.History               { return nil }
func (e *fakeExpvar) Latest(target string) ([]goexpvar.Var, goexpvar.Status, bool) {
	return e.vars[target], goexpvar.Status{Target: target, Up: true}, true
}

func newFakeExpvar(t *testing.T) *fakeExpvar {
	t.Helper()
	e := &fakeExpvar{targets: []goexpvar.Target{{Name: "api-1"}, {Name: "api-2"}}, vars: map[string][]goexpvar.Var{}}
	for _, tg := range e.targets {
		vars, err := goexpvar.FlattenBytes([]byte(`{"memstats":{"HeapAlloc":1,"NumGC":2},"goroutines":3}`), goexpvar.Limits{})
		if err != nil {
			t.Fatal(err)
		}
		e.vars[tg.Name] = vars
	}
	return e
}

func newFakeProm() *fakeProm {
	return &fakeProm{
		values: []string{"api", "worker"},
		names:  []string{"instance", "job"},
		series: []prometheus.Series{
			{Labels: data.Labels{"__name__": "up", "job": "api", "instance": "a:1"}, Times: []time.Time{to}, Values: []float64{1}},
			{Labels: data.Labels{"__name__": "up", "job": "api", "instance": "a:2"}, Times: []time.Time{to}, Values: []float64{0}},
		},
		groups: []v1.RuleGroup{
			{Name: "go", Rules: v1.Rules{
				v1.AlertingRule{Name: "GoServiceDown", Labels: model.LabelSet{"priority": "P0"}},
				v1.AlertingRule{Name: "GoHighErrorRatio", Labels: model.LabelSet{"priority": "P1"}},
				v1.RecordingRule{Name: "job:up:sum"},
			}},
			{Name: "business", Rules: v1.Rules{v1.AlertingRule{Name: "OrdersStalled", Labels: model.LabelSet{"priority": "P1"}}}},
		},
	}
}

// column is a field's values joined by "|".
func column(f *data.Frame, name string) string {
	fl, _ := f.FieldByName(name)
	if fl == nil {
		return "<no field " + name + ">"
	}
	var out []string
	for i := range fl.Len() {
		out = append(out, fl.At(i).(string))
	}
	return strings.Join(out, "|")
}

// Each kind asks the right source for the right thing, and answers one table of texts.
func TestRunKinds(t *testing.T) {
	for _, c := range []struct {
		v     query.Variable
		calls []string
		texts string
	}{
		{query.Variable{Kind: query.VariableLabelValues, Label: "job", Match: `up{env="prod"}`},
			[]string{`LabelValues job ["up{env=\"prod\"}"] 11:00:00-12:00:00`}, "api|worker"},
		{query.Variable{Kind: query.VariableLabelNames},
			[]string{`LabelNames [] 11:00:00-12:00:00`}, "instance|job"},
		{query.Variable{Kind: query.VariableMetricNames, Match: `{job="api"}`},
			[]string{`LabelValues __name__ ["{job=\"api\"}"] 11:00:00-12:00:00`}, "api|worker"},
		{query.Variable{Kind: query.VariableQueryResult, Expr: `up[$__interval]`},
			[]string{`InstantSeries up[30s] 12:00:00`},
			fmt.Sprintf(`up{instance="a:1", job="api"} 1 %[1]d|up{instance="a:2", job="api"} 0 %[1]d`, to.UnixMilli())},
		{query.Variable{Kind: query.VariableAlertNames}, []string{"Rules"}, "GoHighErrorRatio|GoServiceDown|OrdersStalled"},
		{query.Variable{Kind: query.VariableSeverities}, []string{"Rules"}, "P0|P1"},
		{query.Variable{Kind: query.VariableRuleGroups}, []string{"Rules"}, "business|go"},
	} {
		prom := newFakeProm()
		fr, err := Run(context.Background(), Sources{Prometheus: prom}, c.v, "priority", req)
		if err != nil {
			t.Errorf("%s: %v", c.v.Kind, err)
			continue
		}
		if !slices.Equal(prom.calls, c.calls) {
			t.Errorf("%s: calls %q, want %q", c.v.Kind, prom.calls, c.calls)
		}
		if len(fr) != 1 || fr[0].Meta == nil || fr[0].Meta.Type != data.FrameTypeTable {
			t.Fatalf("%s: frames %v, want one table", c.v.Kind, fr)
		}
		if got := column(fr[0], "text"); got != c.texts {
			t.Errorf("%s: texts %s, want %s", c.v.Kind, got, c.texts)
		}
		if got := column(fr[0], "value"); got != c.texts {
			t.Errorf("%s: values %s, want the texts %s", c.v.Kind, got, c.texts)
		}
	}
}

// A regex filters the texts; its first capture group becomes text and value; duplicates
// are dropped, first seen first.
func TestRunRegex(t *testing.T) {
	for _, c := range []struct {
		regex, texts string
	}{
		{`/a:2/`, `up{instance="a:2", job="api"} 0 ` + fmt.Sprint(to.UnixMilli())},
		{`/job="([^"]+)"/`, "api"},
		{`instance="([^"]+)"`, "a:1|a:2"},
		{`/nothing/`, ""},
	} {
		fr, err := Run(context.Background(), Sources{Prometheus: newFakeProm()}, query.Variable{Kind: query.VariableQueryResult, Expr: "up", Regex: c.regex}, "", req)
		if err != nil {
			t.Fatalf("regex %s: %v", c.regex, err)
		}
		if got := column(fr[0], "text"); got != c.texts {
			t.Errorf("regex %s: texts %q, want %q", c.regex, got, c.texts)
		}
		if got := column(fr[0], "value"); got != c.texts {
			t.Errorf("regex %s: values %q, want %q", c.regex, got, c.texts)
		}
	}
	prom := newFakeProm()
	_, err := Run(context.Background(), Sources{Prometheus: prom}, query.Variable{Kind: query.VariableLabelNames, Regex: "/(unclosed/"}, "", req)
	if err == nil || !strings.Contains(err.Error(), `invalid regex "(unclosed"`) || response.Response(nil, err).Status != backend.StatusBadRequest {
		t.Errorf("invalid regex: %v, want a bad-input error quoting it", err)
	}
	if len(prom.calls) != 0 {
		t.Errorf("calls %q after an invalid regex", prom.calls)
	}
}

// The expvar kinds list targets, or the paths of one target or all (without repeats);
// without expvar targets, or for an unknown target, they are the query's fault.
func TestRunExpvarKinds(t *testing.T) {
	ev := newFakeExpvar(t)
	for _, c := range []struct {
		v     query.Variable
		texts string
	}{
		{query.Variable{Kind: query.VariableExpvarTargets}, "api-1|api-2"},
		{query.Variable{Kind: query.VariableExpvarPaths, Label: "api-2", Regex: "memstats"}, "memstats.HeapAlloc|memstats.NumGC"},
		{query.Variable{Kind: query.VariableExpvarPaths}, "goroutines|memstats.HeapAlloc|memstats.NumGC"},
	} {
		prom := newFakeProm()
		fr, err := Run(context.Background(), Sources{Prometheus: prom, Expvar: ev}, c.v, "", req)
		if err != nil {
			t.Fatalf("%+v: %v", c.v, err)
		}
		texts := strings.Split(column(fr[0], "text"), "|")
		slices.Sort(texts)
		if got := strings.Join(texts, "|"); got != c.texts {
			t.Errorf("%+v: texts %s, want %s", c.v, got, c.texts)
		}
		if len(prom.calls) != 0 {
			t.Errorf("%+v: asked Prometheus %q", c.v, prom.calls)
		}
	}
	for _, c := range []struct {
		src  Sources
		v    query.Variable
		want string
	}{
		{Sources{Prometheus: newFakeProm()}, query.Variable{Kind: query.VariableExpvarTargets}, goexpvar.ErrNoTargets.Error()},
		{Sources{Prometheus: newFakeProm()}, query.Variable{Kind: query.VariableExpvarPaths, Label: "api-1"}, goexpvar.ErrNoTargets.Error()},
		{Sources{Prometheus: newFakeProm(), Expvar: ev}, query.Variable{Kind: query.VariableExpvarPaths, Label: "api-3"}, "known targets are api-1, api-2"},
	} {
		_, err := Run(context.Background(), c.src, c.v, "", req)
		if err == nil || !strings.Contains(err.Error(), c.want) || response.Response(nil, err).Status != backend.StatusBadRequest {
			t.Errorf("%+v: %v, want a bad-input error containing %s", c.v, err, c.want)
		}
	}
}

// A failing Prometheus is passed on as its downstream error.
func TestRunPrometheusFails(t *testing.T) {
	prom := newFakeProm()
	prom.err = upstream.Errorf("Prometheus", http.StatusServiceUnavailable, "server error 503")
	for _, kind := range []query.VariableKind{query.VariableLabelValues, query.VariableQueryResult, query.VariableRuleGroups} {
		fr, err := Run(context.Background(), Sources{Prometheus: prom}, query.Variable{Kind: kind, Label: "job", Expr: "up"}, "", req)
		var ue *upstream.Error
		if !errors.As(err, &ue) || len(fr) != 0 {
			t.Errorf("%s: %v, %v; want Prometheus's error alone", kind, fr, err)
		}
		if res := response.Response(nil, err); res.Status != http.StatusServiceUnavailable || res.ErrorSource != backend.ErrorSourceDownstream {
			t.Errorf("%s: answered %d %s, want 503 downstream", kind, res.Status, res.ErrorSource)
		}
	}
}
