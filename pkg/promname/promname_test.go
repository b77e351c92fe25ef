package promname

import (
	"strings"
	"testing"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"
)

// What the helpers write parses back, with the PromQL parser of Prometheus 3, to the names
// and values they were given; classic names stay unquoted (every engine reads them).
func TestWrittenNamesParseBack(t *testing.T) {
	p := parser.NewParser(parser.Options{})
	for _, c := range []struct {
		metric, label, value, want string
	}{
		{"up", "job", "demo", `up{job="demo"}`},
		{"http_requests_total", "http.route", "/api", `http_requests_total{"http.route"="/api"}`},
		{"http.server.request.duration", "service.name", "checkout", `{"http.server.request.duration","service.name"="checkout"}`},
		{"app:ratio", "app.kubernetes.io/name", `a"b\c`, `app:ratio{"app.kubernetes.io/name"="a\"b\\c"}`},
		{"dé.mo", "ünï", "x", `{"dé.mo","ünï"="x"}`},
		{"1bad", "9lives", "x", `{"1bad","9lives"="x"}`},
	} {
		got := Selector(c.metric, Matcher(c.label, "=", c.value))
		if got != c.want {
			t.Errorf("Selector(%q, Matcher(%q, =, %q)) = %s, want %s", c.metric, c.label, c.value, got, c.want)
		}
		ms, err := p.ParseMetricSelector(got)
		if err != nil {
			t.Errorf("%s: %v", got, err)
			continue
		}
		seen := map[string]string{}
		for _, m := range ms {
			seen[m.Name] = m.Value
		}
		if seen[labels.MetricName] != c.metric || seen[c.label] != c.value || len(seen) != 2 {
			t.Errorf("%s parses to %v, want %s=%q and %s=%q", got, ms, labels.MetricName, c.metric, c.label, c.value)
		}
		expr := "sum by (" + Labels("job", c.label) + ") (" + got + ")"
		e, err := p.ParseExpr(expr)
		if err != nil {
			t.Errorf("%s: %v", expr, err)
			continue
		}
		if g := e.(*parser.AggregateExpr).Grouping; len(g) != 2 || g[0] != "job" || g[1] != c.label {
			t.Errorf("%s groups by %q", expr, g)
		}
	}
	if got := Selector("up", ""); got != "up" {
		t.Errorf("Selector(up, \"\") = %s", got)
	}
	if got := Selector("a.b", ",job=\"x\","); got != `{"a.b",job="x"}` {
		t.Errorf("Selector with stray commas = %s", got)
	}
}

func TestChecks(t *testing.T) {
	for _, ok := range []string{"job", "service.name", "http.response.status_code", "app.kubernetes.io/name", "with space", "ünï"} {
		if err := CheckLabel(ok); err != nil {
			t.Errorf("CheckLabel(%q) = %v", ok, err)
		}
		if err := CheckMetric(ok); err != nil {
			t.Errorf("CheckMetric(%q) = %v", ok, err)
		}
	}
	for _, c := range []struct{ name, label, metric string }{
		{"", "the label name is empty", "the metric name is empty"},
		{"\xff", `label name "\xff" is not valid UTF-8`, `metric name "\xff" is not valid UTF-8`},
		{"a\nb", `label name "a\nb" has control characters`, `metric name "a\nb" has control characters`},
		{"__name__", `label name "__name__" starts with "__"`, ""},
		{`up{job="a"}`, "", `metric name "up{job=\"a\"}" has braces`},
	} {
		if err := CheckLabel(c.name); (err == nil) != (c.label == "") || err != nil && !strings.Contains(err.Error(), c.label) {
			t.Errorf("CheckLabel(%q) = %v, want %q", c.name, err, c.label)
		}
		if err := CheckMetric(c.name); (err == nil) != (c.metric == "") || err != nil && !strings.Contains(err.Error(), c.metric) {
			t.Errorf("CheckMetric(%q) = %v, want %q", c.name, err, c.metric)
		}
	}
}
