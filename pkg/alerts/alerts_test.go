package alerts

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	v1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"
	"go.uber.org/goleak"

	"github.com/gopulse/health/pkg/alertmanager"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestPriority(t *testing.T) {
	for in, want := range map[string]string{"P0": "P0", "p2": "P2", "critical": "P0", "Warning": "P2", "info": "P3", "": "", "urgent-ish": ""} {
		if got := DefaultLevels().Priority(in); got != want {
			t.Errorf("Priority(%q) = %q, want %q", in, got, want)
		}
	}
}

func alert(name, state, severity, instance string, since int64) v1.Alert {
	return v1.Alert{
		Labels:      model.LabelSet{"alertname": model.LabelValue(name), "severity": model.LabelValue(severity), "instance": model.LabelValue(instance), "job": "demo"},
		Annotations: model.LabelSet{"summary": model.LabelValue(name + " on " + instance)},
		State:       v1.AlertState(state), ActiveAt: time.Unix(since, 0), Value: "1.5e+00",
	}
}

func TestSelect(t *testing.T) {
	in := FromPrometheus([]v1.Alert{
		alert("GoGoroutineGrowth", "firing", "P2", "a:1", 10),
		alert("GoServiceDown", "pending", "P0", "b:1", 30),
		alert("GoHighErrorRatio", "firing", "P1", "a:1", 20),
		alert("GoServiceDown", "firing", "P0", "a:1", 40),
		alert("Unlabelled", "firing", "", "c:1", 5),
	}, DefaultLevels())
	all, _ := NewFilter(nil, "", nil, DefaultLevels())
	var got []string
	for _, a := range Select(in, all) {
		got = append(got, a.Priority+" "+a.State+" "+a.Name+" "+a.Instance)
	}
	want := "P0 firing GoServiceDown a:1|P0 pending GoServiceDown b:1|P1 firing GoHighErrorRatio a:1|P2 firing GoGoroutineGrowth a:1| firing Unlabelled c:1"
	if strings.Join(got, "|") != want {
		t.Errorf("order\n got %s\nwant %s", strings.Join(got, "|"), want)
	}
	for _, c := range []struct {
		states     []string
		matchers   string
		severities []string
		want       int
	}{
		{[]string{"pending"}, "", nil, 1},
		{nil, `instance="a:1"`, nil, 3},
		{nil, `alertname=~"Go.*",instance!="a:1"`, nil, 1},
		{nil, "", []string{"P0", "P1"}, 3},
		{[]string{"firing"}, `job="demo"`, []string{"P0"}, 1},
	} {
		f, err := NewFilter(c.states, c.matchers, c.severities, DefaultLevels())
		if err != nil {
			t.Fatal(err)
		}
		if n := len(Select(in, f)); n != c.want {
			t.Errorf("filter %v %q %v kept %d, want %d", c.states, c.matchers, c.severities, n, c.want)
		}
	}
	if in[0].Value != 1.5 || in[0].Summary != "GoGoroutineGrowth on a:1" || !math.IsNaN(FromPrometheus([]v1.Alert{{Value: "x"}}, DefaultLevels())[0].Value) {
		t.Errorf("conversion %+v", in[0])
	}
}

func TestFilterErrors(t *testing.T) {
	if _, err := NewFilter([]string{"resolved"}, "", nil, DefaultLevels()); err == nil || !strings.Contains(err.Error(), `state "resolved" is unknown`) {
		t.Errorf("state: %v", err)
	}
	if _, err := NewFilter(nil, `severity="P0`, nil, DefaultLevels()); err == nil || !strings.Contains(err.Error(), "not a label-matcher list") {
		t.Errorf("matchers: %v", err)
	}
}

// A severity the data source does not know would select nothing, silently: it is refused,
// naming the P-levels and the data source's severity values. P-levels and the configured
// values are accepted in any case, and select the alerts they name.
func TestFilterSeverities(t *testing.T) {
	lv, err := NewLevels("", map[string]string{"sev1": "P0", "Minor": "P4"})
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"critical", "P10", "sev2", ""} {
		_, err := NewFilter(nil, "", []string{"P1", bad}, lv)
		if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("severity %q is unknown", bad)) || !strings.Contains(err.Error(), "P0 to P9") || !strings.Contains(err.Error(), "(minor, sev1)") {
			t.Errorf("severity %q: %v, want an error naming the P-levels and minor, sev1", bad, err)
		}
	}
	in := FromPrometheus([]v1.Alert{
		alert("A", "firing", "sev1", "a:1", 1),
		alert("B", "firing", "MINOR", "b:1", 1),
		alert("C", "firing", "P7", "c:1", 1),
	}, lv)
	for _, c := range []struct {
		severities []string
		want       string
	}{
		{[]string{"p0"}, "A"},
		{[]string{"SEV1"}, "A"},
		{[]string{"minor"}, "B"},
		{[]string{"P4", "p7"}, "B C"},
	} {
		f, err := NewFilter(nil, "", c.severities, lv)
		if err != nil {
			t.Fatalf("%v: %v", c.severities, err)
		}
		var names []string
		for _, a := range Select(in, f) {
			names = append(names, a.Name)
		}
		if got := strings.Join(names, " "); got != c.want {
			t.Errorf("severities %v selected %q, want %q", c.severities, got, c.want)
		}
	}
}

func TestTable(t *testing.T) {
	f := Table(FromPrometheus([]v1.Alert{alert("GoServiceDown", "firing", "P0", "a:1", 40)}, DefaultLevels()))
	if f.Rows() != 1 || len(f.Fields) != 15 || f.Fields[13].At(0) != `{alertname="GoServiceDown", instance="a:1", job="demo", severity="P0"}` {
		t.Errorf("table %v", f)
	}
	if empty := Table(nil); empty.Rows() != 0 || len(empty.Fields) != 15 {
		t.Errorf("empty table %v", empty)
	}
}

func TestMerge(t *testing.T) {
	prom := FromPrometheus([]v1.Alert{alert("GoServiceDown", "firing", "P0", "a:1", 40), alert("GoHighErrorRatio", "pending", "P1", "a:1", 20)}, DefaultLevels())
	am := []alertmanager.Alert{
		{Labels: map[string]string{"alertname": "GoServiceDown", "severity": "P0", "instance": "a:1", "job": "demo"}},
		{Labels: map[string]string{"alertname": "OtherPrometheus", "severity": "critical", "instance": "z:1"}, StartsAt: time.Unix(50, 0)},
	}
	am[0].Status.SilencedBy = []string{"s1"}
	am[0].Receivers = append(am[0].Receivers, struct {
		Name string `json:"name"`
	}{"pager"})
	got := Merge(prom, am, DefaultLevels())
	if len(got) != 3 {
		t.Fatalf("%d alerts", len(got))
	}
	if a := got[0]; !a.Silenced || a.Inhibited || a.Source != "both" || strings.Join(a.Receivers, ",") != "pager" || a.Value != 1.5 {
		t.Errorf("merged %+v", a)
	}
	if a := got[1]; a.Silenced || a.Source != "prometheus" || a.State != "pending" {
		t.Errorf("prometheus only %+v", a)
	}
	if a := got[2]; a.Source != "alertmanager" || a.Priority != "P0" || a.State != "firing" || !math.IsNaN(a.Value) {
		t.Errorf("alertmanager only %+v", a)
	}
	// In the table, the Alertmanager-only row's value is empty, not NaN.
	value, _ := Table(got).FieldByName("value")
	if v := value.At(2).(*float64); v != nil {
		t.Errorf("alertmanager only: value %v, want empty", *v)
	}
	if v := value.At(0).(*float64); v == nil || *v != 1.5 {
		t.Errorf("merged: value %v, want 1.5", v)
	}
}

func TestCounts(t *testing.T) {
	in := FromPrometheus([]v1.Alert{
		alert("A", "firing", "P0", "a", 1), alert("B", "firing", "P0", "b", 1), alert("C", "pending", "P1", "a", 1),
		alert("D", "firing", "warning", "a", 1), alert("E", "firing", "", "a", 1),
	}, DefaultLevels())
	counts := func(in []Alert, state string) string {
		var got []string
		for _, f := range Counts(in, state) {
			v, _ := f.Fields[0].FloatAt(0)
			got = append(got, fmt.Sprintf("%s %s=%v", f.Fields[0].Name, f.Fields[0].Labels["priority"], v))
		}
		return strings.Join(got, " ")
	}
	if got := counts(in, "firing"); got != "firing P0=2 firing P1=0 firing P2=1 firing none=1" {
		t.Errorf("counts %v", got)
	}
	if got := counts(in, "pending"); got != "pending P0=0 pending P1=1 pending P2=0" {
		t.Errorf("pending counts %v", got)
	}
	// Nothing active: zeros, an answer a stat panel shows.
	if got := counts(nil, "firing"); got != "firing P0=0 firing P1=0 firing P2=0" {
		t.Errorf("counts of nothing %v", got)
	}
}

func TestRules(t *testing.T) {
	groups := []v1.RuleGroup{{Name: "g", File: "f.yml", Rules: v1.Rules{
		v1.AlertingRule{Name: "Down", Labels: model.LabelSet{"severity": "P0"}, State: "firing", Health: "ok", Query: "up == 0"},
		v1.AlertingRule{Name: "Slow", Labels: model.LabelSet{"severity": "warning"}, State: "inactive", Health: "err", LastError: "boom"},
		v1.RecordingRule{Name: "job:up:sum", Health: "ok", Query: "sum by (job) (up)"},
	}}}
	all, _ := NewFilter(nil, "", nil, DefaultLevels())
	if f := Rules(groups, all); f.Rows() != 3 || f.Fields[8].At(1) != "boom" || f.Fields[6].At(1) != "P2" || f.Fields[3].At(2) != "recording" {
		t.Errorf("rules %v", f)
	}
	p0, _ := NewFilter(nil, "", []string{"P0"}, DefaultLevels())
	if f := Rules(groups, p0); f.Rows() != 1 || f.Fields[2].At(0) != "Down" {
		t.Errorf("P0 rules %v", f)
	}
	named, _ := NewFilter(nil, `alertname="Slow"`, nil, DefaultLevels())
	if f := Rules(groups, named); f.Rows() != 1 {
		t.Errorf("matcher on alertname kept %d rules", f.Rows())
	}
}

// The rows of the rules table are in one order whatever the server's: Prometheus keeps a
// group's rules in file order, Thanos Query sorts them (alerting first, by name).
func TestRulesOrder(t *testing.T) {
	groups := []v1.RuleGroup{
		{Name: "b", File: "z.yml", Rules: v1.Rules{v1.AlertingRule{Name: "Z"}}},
		{Name: "a", File: "z.yml", Rules: v1.Rules{
			v1.RecordingRule{Name: "job:up:sum"},
			v1.AlertingRule{Name: "Slow", Labels: model.LabelSet{"severity": "warning"}},
			v1.AlertingRule{Name: "Down"},
			v1.AlertingRule{Name: "Slow", Labels: model.LabelSet{"severity": "critical"}},
		}},
		{Name: "c", File: "a.yml", Rules: v1.Rules{v1.AlertingRule{Name: "Y"}}},
	}
	all, _ := NewFilter(nil, "", nil, DefaultLevels())
	f := Rules(groups, all)
	var got []string
	for i := range f.Rows() {
		got = append(got, fmt.Sprintf("%s/%s/%s/%s", f.Fields[1].At(i), f.Fields[0].At(i), f.Fields[2].At(i), f.Fields[5].At(i)))
	}
	want := []string{"a.yml/c/Y/", "z.yml/a/Down/", "z.yml/a/Slow/critical", "z.yml/a/Slow/warning", "z.yml/a/job:up:sum/", "z.yml/b/Z/"}
	if !slices.Equal(got, want) {
		t.Errorf("rows %q, want %q", got, want)
	}
	if groups[1].Rules[0].(v1.RecordingRule).Name != "job:up:sum" {
		t.Error("the server's groups were reordered in place")
	}
}

func TestCustomLevels(t *testing.T) {
	lv, err := NewLevels("priority", map[string]string{"Sev1": "p0", "sev2": "P1"})
	if err != nil {
		t.Fatal(err)
	}
	a := FromPrometheus([]v1.Alert{{Labels: model.LabelSet{"alertname": "X", "priority": "SEV1"}, State: "firing"}}, lv)[0]
	if a.Severity != "SEV1" || a.Priority != "P0" || lv.Priority("warning") != "" || lv.Priority("p3") != "P3" {
		t.Errorf("custom levels: %+v", a)
	}
	if _, err := NewLevels("", map[string]string{"sev1": "urgent"}); err == nil || !strings.Contains(err.Error(), `maps to "urgent"`) {
		t.Errorf("bad level: %v", err)
	}
}
