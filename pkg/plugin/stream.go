package plugin

import (
	"context"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/gopulse/health/pkg/goexpvar"
	"github.com/gopulse/health/pkg/query"
)

var _ backend.StreamHandler = (*Datasource)(nil)

// expvarChannel is the Grafana Live channel path of expvar streams; the subscription's
// data is the expvar query (targets and paths).
const expvarChannel = "expvar"

// SubscribeStream allows a subscription to the expvar channel for a valid expvar query
// of this data source's targets.
func (d *Datasource) SubscribeStream(_ context.Context, req *backend.SubscribeStreamRequest) (*backend.SubscribeStreamResponse, error) {
	if _, _, err := d.streamQuery(req.Path, req.Data); err != nil {
		return &backend.SubscribeStreamResponse{Status: backend.SubscribeStreamStatusNotFound}, nil
	}
	return &backend.SubscribeStreamResponse{Status: backend.SubscribeStreamStatusOK}, nil
}

// PublishStream refuses publications: the stream is the plugin's.
func (d *Datasource) PublishStream(context.Context, *backend.PublishStreamRequest) (*backend.PublishStreamResponse, error) {
	return &backend.PublishStreamResponse{Status: backend.PublishStreamStatusPermissionDenied}, nil
}

// RunStream pushes the latest values of the subscribed variables after every poll: one
// row per poll, one field per target and numeric variable, until the subscription ends.
func (d *Datasource) RunStream(ctx context.Context, req *backend.RunStreamRequest, sender *backend.StreamSender) error {
	targets, patterns, err := d.streamQuery(req.Path, req.Data)
	if err != nil {
		return err
	}
	d.expvar.Start(ctx)
	tick := time.NewTicker(d.settings.Expvar.Poller.Interval)
	defer tick.Stop()
	for {
		f := d.liveFrame(targets, patterns)
		d.maskNotices(data.Frames{f})
		if err := sender.SendFrame(f, data.IncludeAll); err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

// streamQuery validates a stream's path and query.
func (d *Datasource) streamQuery(path string, raw []byte) ([]goexpvar.Target, []goexpvar.Pattern, error) {
	if path != expvarChannel || d.expvar == nil {
		return nil, nil, errNoTargets
	}
	model, err := query.ParseExpvar(raw)
	if err != nil {
		return nil, nil, err
	}
	targets, err := d.expvarTargets(model.Targets)
	if err != nil {
		return nil, nil, err
	}
	patterns := make([]goexpvar.Pattern, len(model.Paths))
	for i, p := range model.Paths {
		if patterns[i], err = goexpvar.ParsePath(p); err != nil {
			return nil, nil, err
		}
	}
	return targets, patterns, nil
}

// liveFrame is one row: the time of the newest poll and the latest value of every
// matched numeric variable (a wide time series: one time field, one labelled field per
// variable).
func (d *Datasource) liveFrame(targets []goexpvar.Target, patterns []goexpvar.Pattern) *data.Frame {
	var newest time.Time
	fields := data.Fields{}
	for _, t := range targets {
		vars, st, _ := d.expvar.Latest(t.Name)
		if st.LastSuccess.After(newest) {
			newest = st.LastSuccess
		}
		for _, v := range matching(vars, patterns) {
			if v.Kind == goexpvar.KindNumber || v.Kind == goexpvar.KindBool {
				path := v.Path.String()
				f := data.NewField(t.Name+" "+path, data.Labels{"target": t.Name, "instance": t.Instance, "path": path}, []float64{v.Num})
				fields = append(fields, f)
			}
		}
	}
	if newest.IsZero() {
		newest = time.Now().UTC()
	}
	f := data.NewFrame("expvar", append(data.Fields{data.NewField("Time", nil, []time.Time{newest})}, fields...)...)
	return f.SetMeta(&data.FrameMeta{Type: data.FrameTypeTimeSeriesWide, TypeVersion: data.FrameTypeVersion{0, 1}})
}
