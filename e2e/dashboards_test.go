package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/prometheus/common/model"
	"go.yaml.in/yaml/v3"

	"github.com/gopulse/health/e2e/harness"
)

// dashboardRules are alert rules added to the provisioned ones so that the alert panels
// have rows while the demo behaves: one alert firing at once and one pending for an hour,
// both about the demo's instance (labels of up{job="demo"}).
const dashboardRules = `groups:
  - name: gopulse-dashboards-e2e
    rules:
      - alert: DashboardsE2EFiring
        expr: up{job="demo"} == 1
        labels: {severity: P1}
        annotations: {summary: 'firing on purpose for the dashboards test'}
      - alert: DashboardsE2EPending
        expr: up{job="demo"} == 1
        for: 1h
        labels: {severity: P2}
        annotations: {summary: 'pending on purpose for the dashboards test'}
`

// TestDashboards opens every bundled dashboard as Grafana would against the demo stack
// under load: it resolves the template variables through the plugin's variable queries
// (keeping a saved selection when it is still offered, All when saved as All, else the
// first value), replaces them in every target as the frontend does
// (applyTemplateVariables in src/datasource.ts), and runs every panel's targets through
// QueryData over gRPC. Every target of every panel must answer without error with at
// least one frame holding at least one row.
func TestDashboards(t *testing.T) {
	t.Parallel()
	rules := filepath.Join(t.TempDir(), "dashboards-e2e.yml")
	if err := os.WriteFile(rules, []byte(dashboardRules), 0o644); err != nil {
		t.Fatal(err)
	}
	s := harness.StartStackWith(t, harness.StackOptions{Loadgen: true, LoadgenRPS: 20,
		Prometheus: harness.PrometheusOptions{ExtraRuleFiles: []string{rules}}})
	harness.WaitForQuery(t, s.Prometheus.URL, `sum(rate(http_requests_total{job="demo"}[1m])) > 0 and on() count(ALERTS{alertname="DashboardsE2EFiring", alertstate="firing"}) > 0`, 45*time.Second)
	boards := loadDashboards(t)
	for _, p := range startPlugins(t) {
		t.Run(p.name, func(t *testing.T) {
			// A data source of its own per plugin run (the expvar poller starts afresh).
			ds := provisionedDatasource(t, s)
			deadline := time.Now().Add(90 * time.Second)
			answered, total := 0, 0
			for _, b := range boards {
				t.Run(b.file, func(t *testing.T) {
					n, m := b.check(t, p.client, ds, deadline)
					answered += n
					total += m
				})
			}
			t.Logf("%s: %d of %d panels answered with data", p.name, answered, total)
		})
	}
}

// provisionedDatasource is the demo's provisioned data source (provisioning/datasources)
// pointed at the test stack: its jsonData with the test's addresses, and the harness's
// 1 s scrape interval (also as the expvar poll interval, so that history fills quickly).
func provisionedDatasource(t testing.TB, s *harness.Stack) *harness.Settings {
	t.Helper()
	b, err := os.ReadFile(harness.RepoPath(t, "provisioning", "datasources", "gopulse.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Datasources []struct {
			JSONData map[string]any `yaml:"jsonData"`
		} `yaml:"datasources"`
	}
	if err := yaml.Unmarshal(b, &f); err != nil || len(f.Datasources) != 1 {
		t.Fatalf("provisioned data source: %v %+v", err, f)
	}
	jd := f.Datasources[0].JSONData
	jd["alertmanagerUrl"] = s.Alertmanager.URL
	jd["scrapeInterval"] = "1s"
	jd["expvarPollInterval"] = "1s"
	return &harness.Settings{URL: s.Prometheus.URL, JSONData: jd}
}

type dashboardFile struct {
	file     string
	from     time.Duration // the dashboard's time range: now-from to now
	vars     []map[string]any
	panels   []map[string]any
	variable map[string]varValue
	// unresolved are the variables whose query failed or answered no value.
	unresolved map[string]error
}

// variableTimeout bounds the wait for a variable query to answer values (Prometheus
// scrapes and the expvar poller's first sweep).
const variableTimeout = 20 * time.Second

func loadDashboards(t testing.TB) []*dashboardFile {
	t.Helper()
	files, _ := filepath.Glob(harness.RepoPath(t, "dashboards", "*.json"))
	if len(files) == 0 {
		t.Fatal("no dashboards")
	}
	var out []*dashboardFile
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var d struct {
			Time       struct{ From string }
			Templating struct{ List []map[string]any }
			Panels     []map[string]any
		}
		if err := json.Unmarshal(b, &d); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		from, err := model.ParseDuration(strings.TrimPrefix(d.Time.From, "now-"))
		if err != nil {
			t.Fatalf("%s: time.from %q: %v", f, d.Time.From, err)
		}
		out = append(out, &dashboardFile{file: filepath.Base(f), from: time.Duration(from), vars: d.Templating.List, panels: d.Panels})
	}
	return out
}

// query is one query of the dashboard's time range, sized like a panel 1000 points wide.
func (d *dashboardFile) query(refID string, m map[string]any) harness.Query {
	return d.queryAt(refID, m, time.Now())
}

// queryAt is query with the dashboard refreshed at now: Grafana evaluates the time range
// once per refresh, for all the panels.
func (d *dashboardFile) queryAt(refID string, m map[string]any, now time.Time) harness.Query {
	m = maps.Clone(m)
	delete(m, "datasource") // ${datasource}: the harness puts the data source's uid
	return harness.Query{RefID: refID, Model: m, From: now.Add(-d.from), To: now,
		Interval: max(time.Second, (d.from / 1000).Round(time.Second)), MaxDataPoints: 1000}
}

// check resolves the variables and runs every panel, retrying what does not answer yet
// until deadline; it returns the panels that answered and all panels.
func (d *dashboardFile) check(t *testing.T, c *harness.Client, ds *harness.Settings, deadline time.Time) (answered, total int) {
	ctx, cancel := context.WithDeadline(context.Background(), deadline.Add(30*time.Second))
	defer cancel()
	d.resolveVariables(ctx, t, c, ds)
	failures := map[string]error{}
	var pending []map[string]any
	for _, p := range d.panels {
		if p["type"] == "row" || p["type"] == "text" {
			continue
		}
		total++
		pending = append(pending, p)
	}
	for {
		var still []map[string]any
		for _, p := range pending {
			if err := d.runPanel(ctx, c, ds, p); err != nil {
				failures[p["title"].(string)] = err
				still = append(still, p)
			} else {
				delete(failures, p["title"].(string))
			}
		}
		pending = still
		if len(pending) == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(time.Second)
	}
	for _, p := range pending {
		t.Errorf("panel %q (%v): %v", p["title"], p["type"], failures[p["title"].(string)])
	}
	answered = total - len(pending)
	t.Logf("%d of %d panels answered with data", answered, total)
	return answered, total
}

// resolveVariables resolves the dashboard's variables in order through the plugin, each
// retried until it answers values (variableTimeout); those that never do are errors of t
// and are kept in d.unresolved.
func (d *dashboardFile) resolveVariables(ctx context.Context, t testing.TB, c *harness.Client, ds *harness.Settings) {
	d.variable = map[string]varValue{}
	d.unresolved = map[string]error{}
	for _, v := range d.vars {
		name, _ := v["name"].(string)
		switch v["type"] {
		case "datasource":
			continue
		case "query":
		default:
			t.Errorf("variable %s of type %v: not a GoPulse variable", name, v["type"])
			d.unresolved[name] = fmt.Errorf("type %v", v["type"])
			continue
		}
		var val varValue
		err := retryUntil(time.Now().Add(variableTimeout), func() error {
			var err error
			val, err = d.resolve(ctx, c, ds, v)
			return err
		})
		if err != nil {
			t.Errorf("variable %s: %v", name, err)
			d.unresolved[name] = err
			continue
		}
		d.variable[name] = val
		t.Logf("variable %s = %v (of %d values)", name, val.selected(), len(val.options))
	}
}

// resolve runs a query variable's query through the plugin and selects its value.
func (d *dashboardFile) resolve(ctx context.Context, c *harness.Client, ds *harness.Settings, v map[string]any) (varValue, error) {
	q, _ := v["query"].(map[string]any)
	if q == nil {
		return varValue{}, fmt.Errorf("query %v is not a GoPulse variable query", v["query"])
	}
	resp, err := c.QueryData(ctx, ds, d.query("variable", applyTemplateVariables(q, d.variable)))
	if err != nil {
		return varValue{}, err
	}
	r := resp.Responses["variable"]
	if r.Error != nil {
		return varValue{}, r.Error
	}
	if len(r.Frames) != 1 {
		return varValue{}, fmt.Errorf("%d frames, want one", len(r.Frames))
	}
	values := column(r.Frames[0], "value")
	if values == nil {
		values = column(r.Frames[0], "text")
	}
	if len(values) == 0 {
		return varValue{}, fmt.Errorf("no values")
	}
	val := varValue{options: values}
	val.multi, _ = v["multi"].(bool)
	includeAll, _ := v["includeAll"].(bool)
	val.multi = val.multi || includeAll
	val.allValue, _ = v["allValue"].(string)
	var saved []string
	if cur, ok := v["current"].(map[string]any); ok {
		switch x := cur["value"].(type) {
		case string:
			saved = []string{x}
		case []any:
			for _, s := range x {
				saved = append(saved, fmt.Sprint(s))
			}
		}
	}
	switch {
	case includeAll && slices.Contains(saved, "$__all"):
		val.all = true
	case len(saved) > 0 && !slices.ContainsFunc(saved, func(s string) bool { return !slices.Contains(values, s) }):
		val.values = saved
	default:
		val.values = values[:1]
	}
	return val, nil
}

// runPanel runs the panel's targets in one request, as Grafana does; every target must
// answer rows.
func (d *dashboardFile) runPanel(ctx context.Context, c *harness.Client, ds *harness.Settings, p map[string]any) error {
	return d.runPanelAt(ctx, c, ds, p, time.Now())
}

// runPanelAt is runPanel in a refresh of the dashboard at now.
func (d *dashboardFile) runPanelAt(ctx context.Context, c *harness.Client, ds *harness.Settings, p map[string]any, now time.Time) error {
	targets, _ := p["targets"].([]any)
	if len(targets) == 0 {
		return fmt.Errorf("no targets")
	}
	if src, reuse := d.resultsOf(targets); reuse {
		// Grafana's "-- Dashboard --" data source: the panel shows another panel's results.
		if src == nil {
			return fmt.Errorf("shows the results of a panel the dashboard does not have: %v", targets)
		}
		return d.runPanelAt(ctx, c, ds, src, now)
	}
	var queries []harness.Query
	for _, tg := range targets {
		m, _ := tg.(map[string]any)
		b, _ := json.Marshal(m)
		for _, ref := range varRef.FindAllStringSubmatch(string(b), -1) {
			if err := d.unresolved[ref[1]+ref[2]+ref[4]]; err != nil {
				return fmt.Errorf("variable %s has no value (%v)", ref[0], err)
			}
		}
		refID, _ := m["refId"].(string)
		queries = append(queries, d.queryAt(refID, applyTemplateVariables(m, d.variable), now))
	}
	resp, err := c.QueryData(ctx, ds, queries...)
	if err != nil {
		return err
	}
	var errs []string
	for _, q := range queries {
		if err := answersRows(resp.Responses[q.RefID]); err != nil {
			b, _ := json.Marshal(q.Model)
			errs = append(errs, fmt.Sprintf("%s %s: %v", q.RefID, b, err))
		}
	}
	if errs != nil {
		return fmt.Errorf("%s", strings.Join(errs, "; "))
	}
	return nil
}

// resultsOf tells whether targets are a "-- Dashboard --" reference to another panel's
// results, and returns that panel (nil when the dashboard has none with its id).
func (d *dashboardFile) resultsOf(targets []any) (map[string]any, bool) {
	m, _ := targets[0].(map[string]any)
	ref, _ := m["datasource"].(map[string]any)
	if len(targets) != 1 || ref["uid"] != "-- Dashboard --" {
		return nil, false
	}
	for _, p := range d.panels {
		if p["id"] == m["panelId"] && p["id"] != nil {
			if ds, _ := p["datasource"].(map[string]any); ds["uid"] != "-- Dashboard --" {
				return p, true
			}
		}
	}
	return nil, true
}

func answersRows(r backend.DataResponse) error {
	if r.Error != nil {
		return fmt.Errorf("error (status %d): %w", r.Status, r.Error)
	}
	for _, f := range r.Frames {
		if f.Rows() > 0 {
			return nil
		}
	}
	return fmt.Errorf("%d frames, none with a row", len(r.Frames))
}

func retryUntil(deadline time.Time, f func() error) error {
	for {
		err := f()
		if err == nil || time.Now().After(deadline) {
			return err
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// varValue is the selection of a template variable.
type varValue struct {
	options  []string // what the variable query answered
	values   []string // the selection, unless all
	all      bool
	allValue string // the custom All value, replaced unformatted
	multi    bool   // multi-value or with All: formatted as a regex alternation
}

func (v varValue) selected() []string {
	if v.all {
		if v.allValue != "" {
			return []string{v.allValue}
		}
		return v.options
	}
	return v.values
}

// varRef is Grafana's variable syntax: $var, [[var]], [[var:format]], ${var},
// ${var:format}, ${var.field}.
var varRef = regexp.MustCompile(`\$(\w+)|\[\[(\w+?)(?::(\w+))?\]\]|\$\{(\w+)(?:\.[^:}]+)?(?::([^}]+))?\}`)

// replace replaces the variables of text: a custom All value as it is (as Grafana does),
// else the values through the format the reference names, or format.
func replace(text string, vars map[string]varValue, format func([]string, varValue) string) string {
	return varRef.ReplaceAllStringFunc(text, func(ref string) string {
		m := varRef.FindStringSubmatch(ref)
		v, ok := vars[m[1]+m[2]+m[4]]
		if !ok {
			return ref // $__rate_interval and the like: the backend's
		}
		if v.all && v.allValue != "" {
			return v.allValue
		}
		values := v.selected()
		switch named := m[3] + m[5]; named {
		case "":
			return format(values, v)
		case "regex":
			return "(" + strings.Join(mapStrings(values, regexp.QuoteMeta), "|") + ")"
		case "pipe":
			return strings.Join(values, "|")
		case "glob":
			return "{" + strings.Join(values, ",") + "}"
		default: // csv, raw, text
			return strings.Join(values, ",")
		}
	})
}

func mapStrings(in []string, f func(string) string) []string {
	out := make([]string, len(in))
	for i, s := range in {
		out[i] = f(s)
	}
	return out
}

// The formats of src/datasource.ts and Grafana's default one.
var (
	plainFormat = func(values []string, v varValue) string {
		if len(values) > 1 {
			return "{" + strings.Join(values, ",") + "}"
		}
		return strings.Join(values, ",")
	}
	csvFormat    = func(values []string, _ varValue) string { return strings.Join(values, ",") }
	promqlFormat = func(values []string, v varValue) string {
		if !v.multi {
			return strings.Join(values, ",")
		}
		return strings.Join(mapStrings(values, escapePromQLRegex), "|")
	}
	regexFormat = func(values []string, v varValue) string {
		if !v.multi {
			return strings.Join(values, ",")
		}
		return strings.Join(mapStrings(values, escapeRegex), "|")
	}
)

var regexMeta = regexp.MustCompile(`[\\$^*{}\[\]+?.()|]`)

func escapeRegex(s string) string { return regexMeta.ReplaceAllString(s, `\$0`) }

func escapePromQLRegex(s string) string {
	s = strings.ReplaceAll(s, `\`, `\\\\`)
	s = regexp.MustCompile(`[$^*{}\[\]+?.()|]`).ReplaceAllString(s, `\\$0`)
	return strings.ReplaceAll(s, `"`, `\"`)
}

// expand is a list entry with its variables replaced: one entry per combination of the
// values of its multi-value variables.
func expand(text string, vars map[string]varValue) []string {
	out := []string{""}
	last := 0
	for _, loc := range varRef.FindAllStringSubmatchIndex(text, -1) {
		ref := text[loc[0]:loc[1]]
		m := varRef.FindStringSubmatch(ref)
		v, ok := vars[m[1]+m[2]+m[4]]
		values := []string{ref}
		if ok {
			values = v.selected()
		}
		lit := text[last:loc[0]]
		var next []string
		for _, prefix := range out {
			for _, val := range values {
				next = append(next, prefix+lit+val)
			}
		}
		out, last = next, loc[1]
	}
	for i := range out {
		out[i] += text[last:]
	}
	return out
}

// applyTemplateVariables is the frontend's (src/datasource.ts): PromQL text gets
// regex-escaped alternations of multi-value variables, regex fields (instance, a variable
// query's regex) plain regex alternations, the job and legend the plain value; list fields
// get one entry per value.
func applyTemplateVariables(q map[string]any, vars map[string]varValue) map[string]any {
	out := maps.Clone(q)
	str := func(m map[string]any, key string, format func([]string, varValue) string) {
		if s, ok := m[key].(string); ok && s != "" {
			m[key] = replace(s, vars, format)
		}
	}
	for key, format := range map[string]func([]string, varValue) string{
		"expr": promqlFormat, "matchers": promqlFormat, "legendFormat": plainFormat,
		"job": plainFormat, "metric": plainFormat, "instance": regexFormat,
	} {
		str(out, key, format)
	}
	list := func(key string, entries func(string) []string) {
		l, ok := out[key].([]any)
		if !ok {
			return
		}
		var next []any
		for _, e := range l {
			for _, s := range entries(fmt.Sprint(e)) {
				if s = strings.TrimSpace(s); s != "" && !slices.Contains(next, any(s)) {
					next = append(next, s)
				}
			}
		}
		out[key] = next
	}
	csv := func(s string) []string { return strings.Split(replace(s, vars, csvFormat), ",") }
	names := func(s string) []string { return expand(s, vars) }
	list("groupBy", csv)
	list("severities", csv)
	list("targets", names)
	list("paths", names)
	if vq, ok := out["variableQuery"].(map[string]any); ok {
		vq = maps.Clone(vq)
		str(vq, "label", plainFormat)
		str(vq, "match", promqlFormat)
		str(vq, "expr", promqlFormat)
		str(vq, "regex", regexFormat)
		out["variableQuery"] = vq
	}
	return out
}

// The replacement follows the frontend's.
func TestDashboardsTemplateVariables(t *testing.T) {
	vars := map[string]varValue{
		"job":      {values: []string{"demo"}},
		"instance": {options: []string{"a.1:80", "b.2:80"}, all: true, allValue: ".*", multi: true},
		"inst":     {values: []string{"a.1:80", `q"`}, multi: true},
		"target":   {options: []string{"demo/x", "demo/y"}, all: true, multi: true},
		"path":     {values: []string{"goroutines", "memstats.HeapAlloc"}, multi: true},
	}
	got := applyTemplateVariables(map[string]any{
		"expr":     `up{job="$job", instance=~"$instance", i=~"${inst}"} [[job]] ${job:csv} $__rate_interval`,
		"instance": "$inst",
		"job":      "${job}",
		"targets":  []any{"$target"},
		"paths":    []any{"$path", "business.*"},
		"groupBy":  []any{"${path}"},
	}, vars)
	want := map[string]any{
		"expr":     `up{job="demo", instance=~".*", i=~"a\\.1:80|q\""} demo demo $__rate_interval`,
		"instance": `a\.1:80|q"`,
		"job":      "demo",
		"targets":  []any{"demo/x", "demo/y"},
		"paths":    []any{"goroutines", "memstats.HeapAlloc", "business.*"},
		"groupBy":  []any{"goroutines", "memstats.HeapAlloc"},
	}
	g, _ := json.Marshal(got)
	w, _ := json.Marshal(want)
	if string(g) != string(w) {
		t.Errorf("\n got %s\nwant %s", g, w)
	}
}
