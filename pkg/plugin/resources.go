package plugin

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/backend/resource/httpadapter"

	"github.com/gopulse/health/pkg/frames"
	"github.com/gopulse/health/pkg/prometheus"
	"github.com/gopulse/health/pkg/upstream"
)

// labelValuesWindow is how far back label values are looked up.
const labelValuesWindow = 6 * time.Hour

// newResources routes the data source's resource calls (editor autocomplete, variables).
func (d *Datasource) newResources() backend.CallResourceHandler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /label-values", d.handleLabelValues)
	return httpadapter.New(mux)
}

// CallResource serves the data source's resources.
func (d *Datasource) CallResource(ctx context.Context, req *backend.CallResourceRequest, sender backend.CallResourceResponseSender) error {
	if d.settingsErr != nil {
		body, _ := json.Marshal(map[string]string{"error": d.settingsErr.Error()})
		return sender.Send(&backend.CallResourceResponse{Status: http.StatusBadRequest, Body: body, Headers: map[string][]string{"Content-Type": {"application/json"}}})
	}
	return d.resources.CallResource(ctx, req, sender)
}

// handleLabelValues answers GET label-values?label=NAME[&match[]=SELECTOR...] with a JSON
// array of the label's values over the last hours.
func (d *Datasource) handleLabelValues(w http.ResponseWriter, r *http.Request) {
	label := r.URL.Query().Get("label")
	if label == "" {
		writeError(w, frames.BadInput(errors.New("label is required: label-values?label=NAME")))
		return
	}
	now := time.Now()
	vals, err := d.prom.LabelValues(r.Context(), label, r.URL.Query()["match[]"], prometheus.Window(now.Add(-labelValuesWindow), now))
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, vals)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// writeError answers a resource call with the same status and message a query would get.
func writeError(w http.ResponseWriter, err error) {
	res := frames.Response(nil, err)
	var ue *upstream.Error
	msg := err.Error()
	if errors.As(err, &ue) {
		msg = ue.Error()
	}
	writeJSON(w, int(res.Status), map[string]string{"error": msg})
}
