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
	if _, err := d.streamQuery(req.Path, req.Data); err != nil {
		return &backend.SubscribeStreamResponse{Status: backend.SubscribeStreamStatusNotFound}, nil
	}
	return &backend.SubscribeStreamResponse{Status: backend.SubscribeStreamStatusOK}, nil
}

// PublishStream refuses publications: the stream is the plugin's.
func (d *Datasource) PublishStream(context.Context, *backend.PublishStreamRequest) (*backend.PublishStreamResponse, error) {
	return &backend.PublishStreamResponse{Status: backend.PublishStreamStatusPermissionDenied}, nil
}

// RunStream pushes the latest values of the subscribed variables every poll interval
// (after the first poll of their targets): one row per push, one field per target and
// numeric variable, null while the target is down, until the subscription ends.
func (d *Datasource) RunStream(ctx context.Context, req *backend.RunStreamRequest, sender *backend.StreamSender) error {
	sel, err := d.streamQuery(req.Path, req.Data)
	if err != nil {
		return err
	}
	d.expvar.Start(ctx)
	names := make([]string, len(sel.Targets))
	for i, t := range sel.Targets {
		names[i] = t.Name
	}
	d.expvar.WaitFirstPoll(ctx, names...)
	tick := time.NewTicker(d.settings.Expvar.Poller.Interval)
	defer tick.Stop()
	for {
		f := goexpvar.LiveFrame(d.expvar, sel, time.Now())
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
func (d *Datasource) streamQuery(path string, raw []byte) (goexpvar.Selection, error) {
	if path != expvarChannel || d.expvar == nil {
		return goexpvar.Selection{}, goexpvar.ErrNoTargets
	}
	model, err := query.ParseExpvar(raw)
	if err != nil {
		return goexpvar.Selection{}, err
	}
	return goexpvar.Select(d.expvar, model)
}
