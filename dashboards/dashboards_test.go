// Package dashboards holds the bundled dashboards (plugin.json "includes"); its tests check
// their structure and the traps listed in docs/runtime-signals.md. The JSON is
// generated from specs_test.go (see build_test.go).
package dashboards

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/gopulse/health/pkg/goruntime"
	"github.com/gopulse/health/pkg/query"
)

const pluginID = "gopulse-health-datasource"

var update = flag.Bool("update", false, "rewrite the dashboards' JSON from their specs")

// TestGenerated: every dashboard file is what its spec generates (-update rewrites them),
// and every JSON file of the folder has a spec.
func TestGenerated(t *testing.T) {
	for file, spec := range specs {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		if err := enc.Encode(spec().json()); err != nil {
			t.Fatal(err)
		}
		if *update {
			if err := os.WriteFile(file, buf.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		old, err := os.ReadFile(file)
		if err != nil || !bytes.Equal(old, buf.Bytes()) {
			t.Errorf("%s differs from its spec (%v): run go test ./dashboards -run TestGenerated -update", file, err)
		}
	}
	files, _ := filepath.Glob("*.json")
	for _, f := range files {
		if specs[f] == nil {
			t.Errorf("%s has no spec in specs_test.go", f)
		}
	}
}

type dashboard struct {
	UID           string `json:"uid"`
	Title         string `json:"title"`
	Description   string `json:"description"`
	SchemaVersion int    `json:"schemaVersion"`
	Templating    struct {
		List []variable `json:"list"`
	} `json:"templating"`
	Panels []panel `json:"panels"`
	// raw is the dashboard as generic JSON, for the variable references.
	raw map[string]any
}

type variable struct {
	Type       string          `json:"type"`
	Name       string          `json:"name"`
	Query      json.RawMessage `json:"query"`
	Datasource *datasource     `json:"datasource"`
	Multi      bool            `json:"multi"`
	IncludeAll bool            `json:"includeAll"`
	AllValue   string          `json:"allValue"`
}

type panel struct {
	ID          int                      `json:"id"`
	Type        string                   `json:"type"`
	Title       string                   `json:"title"`
	Description string                   `json:"description"`
	Datasource  *datasource              `json:"datasource"`
	GridPos     struct{ H, W, X, Y int } `json:"gridPos"`
	FieldConfig struct {
		Defaults struct {
			Unit       string `json:"unit"`
			NoValue    string `json:"noValue"`
			Thresholds struct {
				Mode  string `json:"mode"`
				Steps []struct {
					Color string   `json:"color"`
					Value *float64 `json:"value"`
				} `json:"steps"`
			} `json:"thresholds"`
		} `json:"defaults"`
	} `json:"fieldConfig"`
	Targets []target `json:"targets"`
	raw     json.RawMessage
}

type target struct {
	RefID      string     `json:"refId"`
	Datasource datasource `json:"datasource"`
	QueryType  string     `json:"queryType"`
	Expr       string     `json:"expr"`
	Signal     string     `json:"signal"`
	Format     string     `json:"format"`
	Range      *bool      `json:"range"`
	// PanelID is the panel whose results a "-- Dashboard --" target shows.
	PanelID int `json:"panelId"`
	raw     json.RawMessage
}

func (t *target) UnmarshalJSON(b []byte) error {
	type plain target
	t.raw = slices.Clone(b)
	return json.Unmarshal(b, (*plain)(t))
}

func (p *panel) UnmarshalJSON(b []byte) error {
	type plain panel
	p.raw = slices.Clone(b)
	return json.Unmarshal(b, (*plain)(p))
}

type datasource struct {
	Type string `json:"type"`
	UID  string `json:"uid"`
}

var (
	ourDatasource = datasource{pluginID, "${datasource}"}
	// dashboardDatasource: a panel showing another panel's results, without a query.
	dashboardDatasource = datasource{"datasource", "-- Dashboard --"}
)

func load(t *testing.T) map[string]dashboard {
	t.Helper()
	files, _ := filepath.Glob("*.json")
	if len(files) == 0 {
		t.Fatal("no dashboards")
	}
	out := map[string]dashboard{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var d dashboard
		if err := json.Unmarshal(b, &d); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if err := json.Unmarshal(b, &d.raw); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		out[f] = d
	}
	return out
}

func TestIncludedInPlugin(t *testing.T) {
	b, err := os.ReadFile("../plugin.json")
	if err != nil {
		t.Fatal(err)
	}
	var p struct {
		Includes []struct{ Type, Name, Path string } `json:"includes"`
	}
	if err := json.Unmarshal(b, &p); err != nil {
		t.Fatal(err)
	}
	dashboards := load(t)
	included := map[string]string{}
	for _, inc := range p.Includes {
		if inc.Type != "dashboard" {
			continue
		}
		f := strings.TrimPrefix(inc.Path, "dashboards/")
		if f == inc.Path || strings.Contains(f, "/") {
			t.Errorf("plugin.json includes %s: want a path dashboards/<file>.json", inc.Path)
		}
		included[f] = inc.Name
		d, ok := dashboards[f]
		if !ok {
			t.Errorf("plugin.json includes %s, which is not in dashboards/", inc.Path)
		} else if inc.Name != d.Title {
			t.Errorf("plugin.json names %s %q, its title is %q", inc.Path, inc.Name, d.Title)
		}
	}
	for f := range dashboards {
		if _, ok := included[f]; !ok {
			t.Errorf("%s is not in plugin.json includes", f)
		}
	}
}

// panelsWithoutQueries are the panel types that show no data of their own.
var panelsWithoutQueries = []string{"row", "text"}

func TestStructure(t *testing.T) {
	uids := map[string]string{}
	for f, d := range load(t) {
		if d.UID == "" || d.Title == "" || strings.TrimSpace(d.Description) == "" || d.SchemaVersion != schemaVersion {
			t.Errorf("%s: uid %q title %q description %q schemaVersion %d (want %d)", f, d.UID, d.Title, d.Description, d.SchemaVersion, schemaVersion)
		}
		if other, dup := uids[d.UID]; dup {
			t.Errorf("%s and %s share uid %s", f, other, d.UID)
		}
		uids[d.UID] = f
		checkVariables(t, f, d)

		ids := map[int]bool{}
		for i, p := range d.Panels {
			where := f + ": panel " + p.Title
			if p.ID <= 0 || ids[p.ID] {
				t.Errorf("%s: id %d missing or repeated", where, p.ID)
			}
			ids[p.ID] = true
			g := p.GridPos
			if g.W <= 0 || g.H <= 0 || g.X < 0 || g.Y < 0 || g.X+g.W > 24 {
				t.Errorf("%s: gridPos %+v out of the 24-column grid", where, g)
			}
			for _, q := range d.Panels[:i] {
				o := q.GridPos
				if g.X < o.X+o.W && o.X < g.X+g.W && g.Y < o.Y+o.H && o.Y < g.Y+g.H {
					t.Errorf("%s overlaps panel %s", where, q.Title)
				}
			}
			if slices.Contains(panelsWithoutQueries, p.Type) {
				if len(p.Targets) > 0 {
					t.Errorf("%s: a %s panel with queries", where, p.Type)
				}
				continue
			}
			checkPanel(t, where, p, d.Panels)
		}
	}
}

func checkPanel(t *testing.T, where string, p panel, all []panel) {
	t.Helper()
	if strings.TrimSpace(p.Description) == "" {
		t.Errorf("%s: no description", where)
	}
	reuse := p.Datasource != nil && *p.Datasource == dashboardDatasource
	if !reuse && (p.Datasource == nil || *p.Datasource != ourDatasource) {
		t.Errorf("%s: datasource %+v, want the ${datasource} variable", where, p.Datasource)
	}
	if p.FieldConfig.Defaults.Unit == "" {
		t.Errorf("%s: no unit", where)
	}
	if th := p.FieldConfig.Defaults.Thresholds; th.Mode != "absolute" || len(th.Steps) == 0 || th.Steps[0].Value != nil {
		t.Errorf("%s: thresholds %+v, want absolute steps from a base colour", where, th)
	}
	if len(p.Targets) == 0 {
		t.Errorf("%s: no queries", where)
	}
	// An alert table is empty while nothing fires: the panel says that, not "No data".
	// (Counts answer zeros and timelines a row of their own.)
	for _, q := range p.Targets {
		if q.QueryType == "alerts" && p.Type == "table" && q.Format != "rules" && p.FieldConfig.Defaults.NoValue == "" {
			t.Errorf("%s: an alerts table without a no-value text for the normal state", where)
		}
	}
	if reuse {
		// One target: the results of a panel of this dashboard that queries GoPulse.
		i := slices.IndexFunc(all, func(o panel) bool { return len(p.Targets) == 1 && o.ID == p.Targets[0].PanelID })
		if i < 0 || all[i].Datasource == nil || *all[i].Datasource != ourDatasource || p.Targets[0].Datasource != dashboardDatasource {
			t.Errorf("%s: shows the results of %+v, want one panel of this dashboard that queries ${datasource}", where, p.Targets)
		}
		return
	}
	refs := map[string]bool{}
	for _, tg := range p.Targets {
		if tg.RefID == "" || refs[tg.RefID] {
			t.Errorf("%s: refId %q missing or repeated", where, tg.RefID)
		}
		refs[tg.RefID] = true
		if tg.Datasource != ourDatasource {
			t.Errorf("%s %s: datasource %+v, want the ${datasource} variable", where, tg.RefID, tg.Datasource)
		}
		if err := parseTarget(tg); err != nil {
			t.Errorf("%s %s: %v", where, tg.RefID, err)
		}
		if tg.QueryType == "promql" && (tg.Range == nil || tg.Format == "") {
			t.Errorf("%s %s: promql query needs range and format set", where, tg.RefID)
		}
		if tg.QueryType == "runtime" {
			if s, err := goruntime.Lookup(tg.Signal); err == nil && s.Unit != p.FieldConfig.Defaults.Unit {
				t.Errorf("%s %s: unit %q, signal %s is in %q", where, tg.RefID, p.FieldConfig.Defaults.Unit, s.ID, s.Unit)
			}
		}
	}
}

// parseTarget validates a query with the backend's own model (pkg/query, the runtime
// catalogue); health queries, whose model is not in pkg/query yet, by their format.
func parseTarget(tg target) error {
	var err error
	switch tg.QueryType {
	case "promql":
		_, _, err = query.ParsePromQL(tg.raw)
	case "runtime":
		if _, err = query.ParseRuntime(tg.raw); err == nil {
			_, err = goruntime.Lookup(tg.Signal)
		}
	case "business":
		_, err = query.ParseBusiness(tg.raw)
	case "alerts":
		_, err = query.ParseAlerts(tg.raw)
	case "expvar":
		_, err = query.ParseExpvar(tg.raw)
	case "health":
		if !slices.Contains([]string{"table", "numeric", "time_series"}, tg.Format) {
			err = fmt.Errorf("health format %q: want table, numeric or time_series", tg.Format)
		}
	default:
		err = fmt.Errorf("queryType %q is not a panel query type", tg.QueryType)
	}
	return err
}

// varRef finds the variables a text refers to, in Grafana's syntaxes: $var, ${var},
// ${var:format}, ${var.field}, [[var]], [[var:format]].
var varRef = regexp.MustCompile(`\$(\w+)|\[\[(\w+?)(?::\w+)?\]\]|\$\{(\w+)(?:\.[^:}]+)?(?::[^}]+)?\}`)

func refs(text string) []string {
	var out []string
	for _, m := range varRef.FindAllStringSubmatch(text, -1) {
		name := m[1] + m[2] + m[3]
		if !strings.HasPrefix(name, "__") { // Grafana's own: $__rate_interval, ${__data.fields.x}
			out = append(out, name)
		}
	}
	return out
}

// checkVariables: a datasource variable of this plugin; query variables answered by this
// plugin's variable queries, referring only to variables defined before them; and every
// variable a panel refers to is defined.
func checkVariables(t *testing.T, f string, d dashboard) {
	t.Helper()
	defined := map[string]bool{}
	for _, v := range d.Templating.List {
		where := f + ": variable " + v.Name
		if defined[v.Name] {
			t.Errorf("%s: defined twice", where)
		}
		switch v.Type {
		case "datasource":
			var q string
			if json.Unmarshal(v.Query, &q) != nil || q != pluginID || v.Name != "datasource" {
				t.Errorf("%s: want the datasource variable of type %s", where, pluginID)
			}
		case "query":
			if v.Datasource == nil || *v.Datasource != ourDatasource {
				t.Errorf("%s: datasource %+v, want the ${datasource} variable", where, v.Datasource)
			}
			var q struct {
				QueryType string `json:"queryType"`
			}
			if err := json.Unmarshal(v.Query, &q); err != nil || q.QueryType != "variable" {
				t.Errorf("%s: query %s, want a GoPulse variable query", where, v.Query)
			} else if _, err := query.ParseVariable(v.Query); err != nil {
				t.Errorf("%s: %v", where, err)
			}
			for _, r := range refs(string(v.Query)) {
				if !defined[r] {
					t.Errorf("%s refers to $%s, not defined before it", where, r)
				}
			}
			if v.IncludeAll && v.Name == "instance" && v.AllValue != ".*" {
				t.Errorf("%s: All must be the regex .*, not the list of every instance", where)
			}
		default:
			t.Errorf("%s: type %s; the dashboards use datasource and query variables", where, v.Type)
		}
		defined[v.Name] = true
	}
	if !defined["datasource"] {
		t.Errorf("%s: no datasource variable of type %s", f, pluginID)
	}
	for _, p := range d.Panels {
		for _, r := range refs(string(p.raw)) {
			if !defined[r] {
				t.Errorf("%s: panel %s refers to $%s, which is not defined", f, p.Title, r)
			}
		}
	}
}

var (
	rateOf      = regexp.MustCompile(`\b(?:rate|irate|increase)\(\s*([a-zA-Z_:][a-zA-Z0-9_:]*)`)
	fixedWindow = regexp.MustCompile(`\[\d+[smhdw]\]`)
	removed     = []string{"go_memstats_lookups_total", "go_memstats_gc_cpu_fraction"}
	rateBytes   = regexp.MustCompile(`^rate\(\w+_bytes_total\{`)
	gaugeBytes  = regexp.MustCompile(`^\w+_bytes\{[^}]*\}$`)
	fdRatio     = regexp.MustCompile(`^\w+_fds\{[^}]*\} / \w+_max_fds\{`)
)

// The traps of popular Go dashboards: rate() on gauges, hard-coded windows, removed
// metrics, and seconds shown as something else.
func TestPromQLTraps(t *testing.T) {
	for f, d := range load(t) {
		for _, p := range d.Panels {
			for _, tg := range p.Targets {
				if tg.QueryType != "promql" {
					continue
				}
				where := f + ": panel " + p.Title + " " + tg.RefID
				for _, m := range rateOf.FindAllStringSubmatch(tg.Expr, -1) {
					if !strings.HasSuffix(m[1], "_total") && !strings.HasSuffix(m[1], "_count") &&
						!strings.HasSuffix(m[1], "_sum") && !strings.HasSuffix(m[1], "_bucket") {
						t.Errorf("%s: rate() of %s, which is not a counter", where, m[1])
					}
				}
				if fixedWindow.MatchString(tg.Expr) {
					t.Errorf("%s: hard-coded range in %q; use $__rate_interval", where, tg.Expr)
				}
				for _, r := range removed {
					if strings.Contains(tg.Expr, r) {
						t.Errorf("%s: %s was removed from client_golang", where, r)
					}
				}
				if want := unitOf(tg.Expr); want != "" && p.FieldConfig.Defaults.Unit != want {
					t.Errorf("%s: unit %q, want %q for %s", where, p.FieldConfig.Defaults.Unit, want, tg.Expr)
				}
			}
		}
	}
}

// unitOf infers the unit of the common shapes of runtime queries, or "" when unsure.
func unitOf(expr string) string {
	switch {
	case strings.Contains(expr, "_seconds_bucket") && strings.HasPrefix(expr, "histogram_quantile("),
		strings.Contains(expr, "go_gc_duration_seconds_sum"):
		return "s"
	case rateBytes.MatchString(expr):
		return "Bps"
	case gaugeBytes.MatchString(expr):
		return "bytes"
	case fdRatio.MatchString(expr):
		return "percentunit"
	}
	return ""
}
