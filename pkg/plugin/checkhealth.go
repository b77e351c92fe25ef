package plugin

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/grafana/grafana-plugin-sdk-go/backend"

	"github.com/gopulse/health/pkg/goexpvar"
	"github.com/gopulse/health/pkg/upstream"
)

// componentHealth is one component's result of Save & test, in the JSON details.
type componentHealth struct {
	Status  string `json:"status"` // ok, warning (expvar: some targets down) or error
	Message string `json:"message"`
	// The expvar targets: configured, discovered from Prometheus, and answering now, and
	// each target's check.
	Configured *int             `json:"configured,omitempty"`
	Discovered *int             `json:"discovered,omitempty"`
	Up         *int             `json:"up,omitempty"`
	Targets    []goexpvar.Check `json:"targets,omitempty"`
}

// checkHealth is the data source's "Save & test": Prometheus answers as a Prometheus API
// (build info and a trivial query), the Alertmanager, when configured, answers too, and
// every expvar target is polled now (reachable, JSON, how many variables). Each failure
// gets its own message; a failing Alertmanager does not hide the Prometheus result. The
// JSON details have one entry per component (prometheus, alertmanager and expvar when
// configured) with its status and message. Beside Prometheus, expvar targets being down
// is a warning, not a failure of the data source; on an expvar-only data source, no
// target answering is a failure. It sees the servers as they are now: no answer kept for
// other reads serves it.
func (d *Datasource) checkHealth(ctx context.Context, _ *backend.CheckHealthRequest) (*backend.CheckHealthResult, error) {
	if d.settingsErr != nil {
		return &backend.CheckHealthResult{Status: backend.HealthStatusError, Message: d.settingsErr.Error()}, nil
	}
	ctx = upstream.Unshared(ctx)
	var (
		lines  []string
		failed bool
	)
	details := map[string]componentHealth{}
	add := func(component, line string, err error) {
		c := componentHealth{Status: "ok", Message: line}
		if err != nil {
			failed = true
			line, c = err.Error(), componentHealth{Status: "error", Message: err.Error()}
		}
		lines, details[component] = append(lines, line), c
	}
	if d.prom != nil {
		info, err := d.prom.Check(ctx)
		add("prometheus", fmt.Sprintf("%s is working at %s.", info, d.settings.PrometheusURL.Host), err)
	}
	if d.am != nil {
		st, err := d.am.Status(ctx)
		add("alertmanager", fmt.Sprintf("%s is working at %s.", st, d.settings.AlertmanagerURL.Host), err)
	}
	if d.expvar != nil {
		c := d.expvarHealth(ctx)
		details["expvar"] = c
		lines = append(lines, c.Message)
		failed = failed || (d.prom == nil && c.Status == "error")
	}
	res := &backend.CheckHealthResult{Status: backend.HealthStatusOk, Message: strings.Join(lines, " ")}
	if failed {
		res.Status = backend.HealthStatusError
	}
	var err error
	res.JSONDetails, err = json.Marshal(details)
	return res, err
}

// expvarHealth polls every expvar target now (after a discovery, when configured) and
// says, per target, whether it answers a JSON document and with how many variables.
func (d *Datasource) expvarHealth(ctx context.Context) componentHealth {
	d.expvar.Start(ctx)
	checks := d.expvar.Check(ctx)
	configured := len(d.settings.Expvar.Targets)
	discovered := len(checks) - configured
	up := 0
	var each []string
	for _, c := range checks {
		if c.OK {
			up++
			each = append(each, fmt.Sprintf("%s answers (%d variables)", c.Target, c.Vars))
		} else {
			each = append(each, fmt.Sprintf("%s does not: %s", c.Target, c.Error))
		}
	}
	c := componentHealth{Status: "ok", Configured: &configured, Discovered: &discovered, Up: &up, Targets: checks,
		Message: fmt.Sprintf("%d of %d expvar targets answer (%d configured, %d discovered).", up, len(checks), configured, discovered)}
	switch {
	case len(checks) > 0 && up == 0:
		c.Status = "error"
	case up < len(checks):
		c.Status = "warning"
	}
	if len(each) > 0 {
		c.Message += " " + strings.Join(each, "; ") + "."
	}
	if err := d.expvar.DiscoveryError(); err != nil {
		if c.Status == "ok" {
			c.Status = "warning"
		}
		c.Message += " Discovery failed: " + err.Error()
	} else if len(checks) == 0 {
		c.Status, c.Message = "warning", "No expvar target found: Prometheus has no active target in the jobs to discover."
	}
	return c
}
