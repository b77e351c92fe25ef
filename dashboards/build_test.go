package dashboards

// The builder of the bundled dashboards. The JSON files are generated from the specs in
// specs_test.go: `go test ./dashboards -run TestGenerated -update` rewrites them, and
// without -update TestGenerated fails when a committed file differs from its spec.

import "strings"

type obj = map[string]any

// dsRef is the data source of every panel, target and query variable: this plugin,
// through the dashboard's datasource variable (never a hard-coded uid).
func dsRef() obj { return obj{"type": pluginID, "uid": "${datasource}"} }

// dashboardDS is Grafana's "-- Dashboard --" data source: a panel that shows the results
// of another panel of the dashboard, without querying again.
func dashboardDS() obj { return obj{"type": "datasource", "uid": "-- Dashboard --"} }

// resultsOf is the target of a panel that shows the results of the panel titled title
// (its panelId is set when the board is written).
func resultsOf(title string) obj { return obj{"panelFrom": title} }

// board is a dashboard under construction, with a flowing layout: panels are placed left
// to right and wrap to a new line at 24 columns; row() starts a titled section.
type board struct {
	uid, title, description string
	tags                    []string
	from, refresh           string
	vars                    []obj
	panels                  []obj
	x, y, lineH, nextID     int
}

func newBoard(uid, title, description string, tags ...string) *board {
	return &board{uid: uid, title: title, description: description, tags: append([]string{"gopulse", "go"}, tags...),
		from: "now-30m", refresh: "30s", nextID: 1}
}

func (b *board) newline() {
	if b.x > 0 {
		b.y += b.lineH
	}
	b.x, b.lineH = 0, 0
}

// row starts a section: a full-width row panel on a new line.
func (b *board) row(title string) {
	b.newline()
	b.panels = append(b.panels, obj{
		"id": b.id(), "type": "row", "title": title, "collapsed": false, "panels": []any{},
		"gridPos": obj{"x": 0, "y": b.y, "w": 24, "h": 1},
	})
	b.y++
}

// add places panel p of w columns and h rows.
func (b *board) add(w, h int, p P) {
	if b.x+w > 24 {
		b.newline()
	}
	p["id"] = b.id()
	p["gridPos"] = obj{"x": b.x, "y": b.y, "w": w, "h": h}
	b.x += w
	b.lineH = max(b.lineH, h)
	b.panels = append(b.panels, obj(p))
}

func (b *board) id() int { b.nextID++; return b.nextID - 1 }

func (b *board) json() obj {
	ids := map[any]any{}
	for _, p := range b.panels {
		ids[p["title"]] = p["id"]
	}
	for _, p := range b.panels {
		targets, _ := p["targets"].([]obj)
		for _, t := range targets {
			if title, ok := t["panelFrom"]; ok {
				t["panelId"] = ids[title]
				delete(t, "panelFrom")
			}
		}
	}
	return obj{
		"uid": b.uid, "title": b.title, "description": b.description, "tags": b.tags,
		"editable": true, "graphTooltip": 1, "schemaVersion": schemaVersion, "version": 1,
		"time": obj{"from": b.from, "to": "now"}, "refresh": b.refresh, "timezone": "browser",
		"timepicker": obj{}, "fiscalYearStartMonth": 0, "liveNow": false, "links": []any{},
		"annotations": obj{"list": []any{obj{
			"builtIn": 1, "datasource": obj{"type": "grafana", "uid": "-- Grafana --"}, "enable": true, "hide": true,
			"iconColor": "rgba(0, 211, 255, 1)", "name": "Annotations & Alerts", "type": "dashboard",
		}}},
		"templating": obj{"list": b.vars},
		"panels":     b.panels,
	}
}

// Template variables.

func datasourceVar() obj {
	return obj{"type": "datasource", "name": "datasource", "label": "Data source", "query": pluginID,
		"current": obj{}, "hide": 0, "refresh": 1, "regex": "", "options": []any{}, "includeAll": false, "multi": false}
}

// queryVar is a variable answered by this plugin's variable queries (queryType variable),
// saved as the frontend's VariableQueryEditor saves it. current is its default selection:
// nil for All (includeAll), else the values.
func queryVar(name, label, definition string, vq obj, multi, includeAll bool, allValue string, current ...string) obj {
	v := obj{
		"type": "query", "name": name, "label": label, "datasource": dsRef(),
		"query":      obj{"refId": "variable", "queryType": "variable", "variableQuery": vq},
		"definition": definition, "refresh": 2, "sort": 1, "regex": "", "hide": 0, "options": []any{},
		"multi": multi, "includeAll": includeAll,
	}
	if allValue != "" {
		v["allValue"] = allValue
	}
	switch {
	case len(current) == 0:
		v["current"] = obj{"text": []string{"All"}, "value": []string{"$__all"}}
	case multi:
		v["current"] = obj{"text": current, "value": current}
	default:
		v["current"] = obj{"text": current[0], "value": current[0]}
	}
	return v
}

// goJobVar: the jobs of Go services (those exporting go_info), demo by default.
func goJobVar() obj {
	return queryVar("job", "Job", "label_values(go_info, job)",
		obj{"kind": "label_values", "label": "job", "match": "go_info"}, false, false, "", "demo")
}

// instanceVar: the instances of $job, all by default (a regex in every query).
func instanceVar() obj {
	return queryVar("instance", "Instance", `label_values(go_info{job="$job"}, instance)`,
		obj{"kind": "label_values", "label": "instance", "match": `go_info{job="$job"}`}, true, true, ".*")
}

// Panels.

// P is a panel under construction; its methods set options and return it.
type P obj

func newPanel(kind, title, description, unit string, targets ...obj) P {
	ds := dsRef()
	for i, t := range targets {
		t["refId"] = string(rune('A' + i))
		if _, reuse := t["panelFrom"]; reuse {
			ds = dashboardDS()
		}
		t["datasource"] = ds
	}
	defaults := obj{"unit": unit, "thresholds": steps("green"), "color": obj{"mode": "palette-classic"}, "mappings": []any{}}
	p := P{"type": kind, "title": title, "description": description, "datasource": ds, "targets": targets,
		"fieldConfig": obj{"defaults": defaults, "overrides": []any{}}}
	legend := obj{"displayMode": "list", "placement": "bottom", "showLegend": true}
	switch kind {
	case "timeseries":
		defaults["custom"] = obj{"drawStyle": "line", "lineWidth": 1, "fillOpacity": 10, "showPoints": "never",
			"spanNulls": false, "axisPlacement": "auto", "thresholdsStyle": obj{"mode": "off"}}
		p["options"] = obj{"legend": legend, "tooltip": obj{"mode": "multi", "sort": "desc"}}
	case "stat":
		defaults["color"] = obj{"mode": "thresholds"}
		p["options"] = obj{"reduceOptions": obj{"calcs": []string{"lastNotNull"}, "fields": "", "values": false},
			"colorMode": "background", "graphMode": "none", "textMode": "auto", "justifyMode": "auto", "orientation": "auto"}
	case "bargauge":
		defaults["color"] = obj{"mode": "thresholds"}
		p["options"] = obj{"reduceOptions": obj{"calcs": []string{"lastNotNull"}, "fields": "", "values": false},
			"orientation": "horizontal", "displayMode": "gradient", "showUnfilled": true, "valueMode": "color"}
	case "table":
		defaults["color"] = obj{"mode": "thresholds"}
		defaults["custom"] = obj{"align": "auto", "cellOptions": obj{"type": "auto"}, "filterable": true}
		p["options"] = obj{"showHeader": true, "cellHeight": "sm", "footer": obj{"show": false, "reducer": []string{"sum"}, "fields": ""}}
	case "state-timeline":
		defaults["color"] = obj{"mode": "thresholds"}
		defaults["custom"] = obj{"fillOpacity": 80, "lineWidth": 0}
		p["options"] = obj{"showValue": "auto", "mergeValues": true, "alignValue": "left", "rowHeight": 0.9, "legend": legend,
			"tooltip": obj{"mode": "single", "sort": "none"}}
	}
	return p
}

func (p P) defaults() obj { return p["fieldConfig"].(obj)["defaults"].(obj) }

// steps are thresholds: a base colour, then value, colour pairs.
func steps(base string, more ...any) obj {
	s := []any{obj{"color": base, "value": nil}}
	for i := 0; i+1 < len(more); i += 2 {
		s = append(s, obj{"color": more[i+1], "value": more[i]})
	}
	return obj{"mode": "absolute", "steps": s}
}

// thresholds sets the thresholds (see steps) and, on a time series, draws them as dashed lines.
func (p P) thresholds(base string, more ...any) P {
	p.defaults()["thresholds"] = steps(base, more...)
	if c, ok := p.defaults()["custom"].(obj); ok && p["type"] == "timeseries" && len(more) > 0 {
		c["thresholdsStyle"] = obj{"mode": "dashed"}
	}
	return p
}

func (p P) set(key string, v any) P { p.defaults()[key] = v; return p }

func (p P) option(key string, v any) P { p["options"].(obj)[key] = v; return p }

func (p P) custom(key string, v any) P { p.defaults()["custom"].(obj)[key] = v; return p }

// override sets properties (id, value pairs) of the fields named name.
func (p P) override(name string, props ...any) P {
	var list []any
	for i := 0; i+1 < len(props); i += 2 {
		list = append(list, obj{"id": props[i], "value": props[i+1]})
	}
	fc := p["fieldConfig"].(obj)
	fc["overrides"] = append(fc["overrides"].([]any), obj{"matcher": obj{"id": "byName", "options": name}, "properties": list})
	return p
}

func (p P) transform(id string, options obj) P {
	list, _ := p["transformations"].([]any)
	p["transformations"] = append(list, obj{"id": id, "options": options})
	return p
}

// valueMap maps values (text, colour, display text triples) to colours and texts.
func valueMap(triples ...string) []any {
	options := obj{}
	for i := 0; i+2 < len(triples); i += 3 {
		options[triples[i]] = obj{"color": triples[i+1], "text": triples[i+2], "index": i / 3}
	}
	return []any{obj{"type": "value", "options": options}}
}

// Queries. job and instance are the dashboard's variables.

// promql is a range query of expr as time series.
func promql(expr, legend string) obj {
	return obj{"queryType": "promql", "expr": expr, "legendFormat": legend, "range": true, "instant": false, "format": "time_series"}
}

// promqlNow is an instant query of expr (for stats and bar gauges).
func promqlNow(expr, legend string) obj {
	return obj{"queryType": "promql", "expr": expr, "legendFormat": legend, "range": false, "instant": true, "format": "time_series"}
}

// scope is the label matchers of the dashboard's job and instance.
const scope = `job="$job", instance=~"$instance"`

// sel writes metric{job="$job", instance=~"$instance", extra...}.
func sel(metric string, extra ...string) string {
	return metric + "{" + strings.Join(append([]string{scope}, extra...), ", ") + "}"
}

// runtimeQ is a signal of the runtime catalogue (Prometheus, or expvar when Prometheus
// lacks it: source auto).
func runtimeQ(signal, legend string) obj {
	return obj{"queryType": "runtime", "signal": signal, "job": "$job", "instance": "$instance", "source": "auto", "legendFormat": legend}
}

// business is a business query of metric with extra fields.
func business(metric string, extra obj) obj {
	q := obj{"queryType": "business", "metric": metric, "aggregation": "sum", "job": "$job", "instance": "$instance"}
	for k, v := range extra {
		q[k] = v
	}
	return q
}

func alertsQ(extra obj) obj {
	q := obj{"queryType": "alerts", "source": "both", "format": "table"}
	for k, v := range extra {
		q[k] = v
	}
	return q
}

func healthQ(format string) obj {
	return obj{"queryType": "health", "job": "$job", "instance": "$instance", "format": format}
}

func expvarQ(mode string, targets, paths []string) obj {
	if targets == nil {
		targets = []string{}
	}
	return obj{"queryType": "expvar", "mode": mode, "targets": targets, "paths": paths}
}
