// Package dashboards holds the bundled dashboards (plugin.json "includes"); its tests check
// their structure and the traps listed in shared/notes/go-runtime-signals.md.
package dashboards

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

const pluginID = "gopulse-health-datasource"

type dashboard struct {
	UID           string `json:"uid"`
	Title         string `json:"title"`
	SchemaVersion int    `json:"schemaVersion"`
	Templating    struct {
		List []variable `json:"list"`
	} `json:"templating"`
	Panels []panel `json:"panels"`
}

type variable struct {
	Type  string `json:"type"`
	Name  string `json:"name"`
	Query any    `json:"query"`
}

type panel struct {
	ID          int                      `json:"id"`
	Type        string                   `json:"type"`
	Title       string                   `json:"title"`
	Description string                   `json:"description"`
	Datasource  datasource               `json:"datasource"`
	GridPos     struct{ H, W, X, Y int } `json:"gridPos"`
	FieldConfig struct {
		Defaults struct {
			Unit string `json:"unit"`
		} `json:"defaults"`
	} `json:"fieldConfig"`
	Targets []struct {
		RefID        string     `json:"refId"`
		Datasource   datasource `json:"datasource"`
		QueryType    string     `json:"queryType"`
		Expr         string     `json:"expr"`
		LegendFormat string     `json:"legendFormat"`
		Range        *bool      `json:"range"`
		Format       string     `json:"format"`
	} `json:"targets"`
}

type datasource struct {
	Type string `json:"type"`
	UID  string `json:"uid"`
}

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
		Includes []struct{ Type, Path string } `json:"includes"`
	}
	if err := json.Unmarshal(b, &p); err != nil {
		t.Fatal(err)
	}
	var included []string
	for _, inc := range p.Includes {
		if inc.Type == "dashboard" {
			included = append(included, filepath.Base(inc.Path))
		}
	}
	for f := range load(t) {
		if !slices.Contains(included, f) {
			t.Errorf("%s is not in plugin.json includes", f)
		}
	}
	for _, f := range included {
		if _, err := os.Stat(f); err != nil {
			t.Errorf("plugin.json includes %s: %v", f, err)
		}
	}
}

func TestStructure(t *testing.T) {
	uids := map[string]string{}
	for f, d := range load(t) {
		if d.UID == "" || d.Title == "" || d.SchemaVersion < 41 {
			t.Errorf("%s: uid %q title %q schemaVersion %d", f, d.UID, d.Title, d.SchemaVersion)
		}
		if other, dup := uids[d.UID]; dup {
			t.Errorf("%s and %s share uid %s", f, other, d.UID)
		}
		uids[d.UID] = f
		hasDS := slices.ContainsFunc(d.Templating.List, func(v variable) bool {
			return v.Type == "datasource" && v.Name == "datasource" && v.Query == pluginID
		})
		if !hasDS {
			t.Errorf("%s: no datasource variable of type %s", f, pluginID)
		}

		ids := map[int]bool{}
		for i, p := range d.Panels {
			where := f + ": panel " + p.Title
			if p.ID == 0 || ids[p.ID] {
				t.Errorf("%s: id %d missing or repeated", where, p.ID)
			}
			ids[p.ID] = true
			if strings.TrimSpace(p.Description) == "" {
				t.Errorf("%s: no description", where)
			}
			if p.Datasource != (datasource{pluginID, "${datasource}"}) {
				t.Errorf("%s: datasource %+v, want the ${datasource} variable", where, p.Datasource)
			}
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
			if len(p.Targets) == 0 {
				t.Errorf("%s: no queries", where)
			}
			refs := map[string]bool{}
			for _, tg := range p.Targets {
				if tg.RefID == "" || refs[tg.RefID] {
					t.Errorf("%s: refId %q missing or repeated", where, tg.RefID)
				}
				refs[tg.RefID] = true
				if tg.Datasource != p.Datasource {
					t.Errorf("%s %s: datasource %+v differs from the panel's", where, tg.RefID, tg.Datasource)
				}
				if tg.QueryType == "promql" && (tg.Expr == "" || tg.Range == nil || !slices.Contains([]string{"time_series", "table", "heatmap"}, tg.Format)) {
					t.Errorf("%s %s: promql query needs expr, range and format", where, tg.RefID)
				}
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
