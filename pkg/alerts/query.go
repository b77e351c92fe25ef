package alerts

import (
	"context"
	"errors"

	"github.com/grafana/grafana-plugin-sdk-go/data"
	v1 "github.com/prometheus/client_golang/api/prometheus/v1"

	"github.com/gopulse/health/pkg/alertmanager"
	"github.com/gopulse/health/pkg/prometheus"
	"github.com/gopulse/health/pkg/query"
	"github.com/gopulse/health/pkg/response"
)

// Prometheus is what alerts queries read from Prometheus.
type Prometheus interface {
	Alerts(ctx context.Context) ([]v1.Alert, error)
	Rules(ctx context.Context) ([]v1.RuleGroup, error)
	RangeSeries(ctx context.Context, expr string, r v1.Range) ([]prometheus.Series, error)
}

// Alertmanager is what alerts queries read from an Alertmanager.
type Alertmanager interface {
	Alerts(ctx context.Context) ([]alertmanager.Alert, error)
}

// Sources are where alerts queries read; Alertmanager is nil when none is configured.
type Sources struct {
	Prometheus   Prometheus
	Alertmanager Alertmanager
}

// Run answers an alerts query: the active alerts of Prometheus, of Alertmanager (with
// silenced, inhibited and receivers) or of both merged by label set, filtered, most
// urgent first, as one table (or counts of firing alerts per P-level, pending ones when
// the query asks for pending alone; or a state timeline over the range from the ALERTS
// series; or Prometheus's rules). With both, a failing
// Alertmanager leaves the Prometheus part answered, with a notice and the downstream
// error.
func Run(ctx context.Context, src Sources, model query.Alerts, lv Levels, req prometheus.Request) (data.Frames, error) {
	filter, err := NewFilter(model.States, model.Matchers, model.Severities, lv)
	if err != nil {
		return nil, response.BadInput(err)
	}
	switch model.Format {
	case "rules":
		groups, err := src.Prometheus.Rules(ctx)
		if err != nil {
			return nil, err
		}
		return data.Frames{Rules(groups, filter)}, nil
	case "timeline":
		r, err := prometheus.StepRange(req.From, req.To, req.Interval, req.MaxDataPoints, 0)
		if err != nil {
			return nil, response.BadInput(err)
		}
		series, err := src.Prometheus.RangeSeries(ctx, filter.Selector(), r)
		if err != nil {
			return nil, err
		}
		// Rules only run on data: where Prometheus holds no sample of any target, no
		// alert state is known.
		scraped, err := src.Prometheus.RangeSeries(ctx, "count(up)", r)
		if err != nil {
			return nil, err
		}
		return Timeline(series, scraped, r, filter), nil
	}
	if model.Source != "" && model.Source != "prometheus" && src.Alertmanager == nil {
		return nil, response.BadInput(errors.New("no Alertmanager URL is configured for this data source: set one in its settings, or use source prometheus"))
	}
	var list []Alert
	if model.Source != "alertmanager" {
		active, err := src.Prometheus.Alerts(ctx)
		if err != nil {
			return nil, err
		}
		list = FromPrometheus(active, lv)
	}
	var amErr error
	if model.Source == "alertmanager" || model.Source == "both" {
		var am []alertmanager.Alert
		if am, amErr = src.Alertmanager.Alerts(ctx); amErr == nil {
			list = Merge(list, am, lv)
		} else if model.Source == "alertmanager" {
			return nil, amErr
		}
	}
	selected := Select(list, filter)
	fr := data.Frames{Table(selected)}
	if model.Format == "counts" {
		state := "firing"
		if len(model.States) == 1 {
			state = model.States[0]
		}
		fr = Counts(selected, state)
	}
	if amErr != nil {
		response.AddNotice(fr[0], data.Notice{Severity: data.NoticeSeverityWarning,
			Text: "Alertmanager did not answer: silenced, inhibited and receivers are missing. " + amErr.Error()})
	}
	return fr, amErr
}
