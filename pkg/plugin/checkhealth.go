package plugin

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/grafana/grafana-plugin-sdk-go/backend"

	"github.com/gopulse/health/pkg/upstream"
)

// componentHealth is one component's result of Save & test, in the JSON details.
type componentHealth struct {
	Status  string `json:"status"` // ok, warning (expvar: some targets down) or error
	Message string `json:"message"`
	// The expvar targets: configured, discovered from Prometheus, and up at the last poll.
	Configured *int `json:"configured,omitempty"`
	Discovered *int `json:"discovered,omitempty"`
	Up         *int `json:"up,omitempty"`
}

// checkHealth is the data source's "Save & test": Prometheus answers as a Prometheus API
// (build info and a trivial query), and the Alertmanager, when configured, answers too.
// Each failure gets its own message; a failing Alertmanager does not hide the Prometheus
// result. The JSON details have one entry per component (prometheus, alertmanager and
// expvar when configured) with its status and message; expvar targets being down is a
// warning there, not a failure of the data source. It sees the servers as they are now:
// no answer kept for other reads serves it.
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
	info, err := d.prom.Check(ctx)
	add("prometheus", fmt.Sprintf("%s is working at %s.", info, d.settings.PrometheusURL.Host), err)
	if d.am != nil {
		st, err := d.am.Status(ctx)
		add("alertmanager", fmt.Sprintf("%s is working at %s.", st, d.settings.AlertmanagerURL.Host), err)
	}
	if d.expvar != nil {
		details["expvar"] = d.expvarHealth(ctx)
	}
	res := &backend.CheckHealthResult{Status: backend.HealthStatusOk, Message: strings.Join(lines, " ")}
	if failed {
		res.Status = backend.HealthStatusError
	}
	res.JSONDetails, err = json.Marshal(details)
	return res, err
}

// expvarHealth polls the expvar targets (the first sweep, when polling has not started;
// else the last sweep's results) and says how many are up.
func (d *Datasource) expvarHealth(ctx context.Context) componentHealth {
	d.expvar.Start(ctx)
	statuses := d.expvar.Statuses()
	configured := len(d.settings.Expvar.Targets)
	discovered := len(statuses) - configured
	up := 0
	var down []string
	for _, st := range statuses {
		if st.Up {
			up++
		} else if len(down) < 3 {
			down = append(down, fmt.Sprintf("%s (%s)", st.Target, st.LastError))
		}
	}
	c := componentHealth{Status: "ok", Configured: &configured, Discovered: &discovered, Up: &up,
		Message: fmt.Sprintf("%d of %d expvar targets up (%d configured, %d discovered).", up, len(statuses), configured, discovered)}
	switch {
	case len(statuses) > 0 && up == 0:
		c.Status = "error"
	case up < len(statuses):
		c.Status = "warning"
	}
	if len(down) > 0 {
		c.Message += " Down: " + strings.Join(down, ", ") + "."
	}
	if err := d.expvar.DiscoveryError(); err != nil {
		if c.Status == "ok" {
			c.Status = "warning"
		}
		c.Message += " Discovery failed: " + err.Error()
	} else if len(statuses) == 0 {
		c.Status, c.Message = "warning", "No expvar target found: Prometheus has no active target in the jobs to discover."
	}
	return c
}
