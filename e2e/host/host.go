// Package host is a stand-in for the parts of Grafana that GoPulse's frontend talks to,
// for browser tests: it serves the built plugin (dist/) where Grafana serves plugins, a
// host page that boots @grafana/runtime's services around the plugin's module.js, and the
// HTTP API routes the frontend calls, each forwarded to the plugin over gRPC with the
// e2e harness client:
//
//	POST /api/ds/query                          → QueryData
//	*    /api/datasources/uid/:uid/resources/*  → CallResource
//	GET  /api/datasources/uid/:uid/health       → CheckHealth
//	GET  /api/datasources/uid/:uid              → the data source's settings (secrets as secureJsonFields)
//	PUT  /api/datasources/uid/:uid              → saves settings (a new plugin instance, as Grafana does)
//	GET  /api/host/live/:uid/:path?data=JSON    → SubscribeStream, then RunStream's frames as server-sent events
//
// It is not Grafana: one data source, no users or permissions, no dashboards or panels,
// no Grafana Live websocket (Centrifuge) protocol — the page's GrafanaLiveSrv reads the
// plugin's stream through the server-sent events route instead —, no query caching or
// expressions. See e2e/README.md.
package host

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/genproto/pluginv2"

	"github.com/gopulse/health/e2e/harness"
)

// PluginBase is where Grafana serves a plugin's dist/ (module.js, chunks, plugin.json).
const PluginBase = "/public/plugins/" + harness.PluginID + "/"

// maxBody bounds the request bodies the host reads.
const maxBody = 4 << 20

// Options configures Start.
type Options struct {
	// Dist is the built plugin (dist/ with module.js).
	Dist string
	// Page is the directory of the built host page (index.html, host.js; see BuildPage).
	Page string
	// UIAssets is @grafana/ui's dist/public/img (its icons; default from node_modules).
	UIAssets string
	// Client is the plugin, over gRPC.
	Client *harness.Client
	// Settings is the data source; the host serves it and replaces it when the
	// ConfigEditor saves.
	Settings *harness.Settings
	// Timeout bounds one forwarded call (default 60 s).
	Timeout time.Duration
}

// Host is a running host.
type Host struct {
	// URL is the host's base URL (http://127.0.0.1:port).
	URL string
	// UID is the data source's UID (the page's ?uid=).
	UID string

	opts Options
	mu   sync.Mutex
	ds   *harness.Settings
}

// Start starts the host on a loopback port; it stops when the test ends.
func Start(t testing.TB, opts Options) *Host {
	t.Helper()
	for _, f := range []string{filepath.Join(opts.Dist, "module.js"), filepath.Join(opts.Page, "index.html")} {
		if _, err := os.Stat(f); err != nil {
			t.Fatalf("host: %v (build the frontend with `npm run build` and the page with BuildPage)", err)
		}
	}
	if opts.UIAssets == "" {
		opts.UIAssets = harness.RepoPath(t, "node_modules", "@grafana", "ui", "dist", "public", "img")
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 60 * time.Second
	}
	// The settings get their UID on first use.
	h := &Host{opts: opts, ds: opts.Settings, UID: opts.Settings.Backend().DataSourceInstanceSettings.UID}
	srv := httptest.NewServer(h.Handler())
	t.Cleanup(srv.Close)
	h.URL = srv.URL
	return h
}

// Settings returns the data source as last saved.
func (h *Host) Settings() *harness.Settings {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.ds
}

// Handler is the host's HTTP handler.
func (h *Host) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle(PluginBase, http.StripPrefix(PluginBase, http.FileServer(http.Dir(h.opts.Dist))))
	mux.Handle("/host/", http.StripPrefix("/host/", http.FileServer(http.Dir(h.opts.Page))))
	// @grafana/ui's icons, where Grafana serves them.
	mux.Handle("/public/build/img/", http.StripPrefix("/public/build/img/", http.FileServer(http.Dir(h.opts.UIAssets))))
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		http.ServeFile(w, r, filepath.Join(h.opts.Page, "index.html"))
	})
	mux.HandleFunc("POST /api/ds/query", h.query)
	mux.HandleFunc("/api/datasources/uid/{uid}/resources/{path...}", h.resource)
	mux.HandleFunc("GET /api/datasources/uid/{uid}/health", h.health)
	mux.HandleFunc("GET /api/datasources/uid/{uid}", h.getSettings)
	mux.HandleFunc("PUT /api/datasources/uid/{uid}", h.putSettings)
	mux.HandleFunc("GET /api/host/live/{uid}/{path...}", h.live)
	return mux
}

// settingsFor answers 404 unless uid is the host's data source.
func (h *Host) settingsFor(w http.ResponseWriter, uid string) *harness.Settings {
	s := h.Settings()
	if uid != s.UID {
		writeJSON(w, http.StatusNotFound, map[string]string{"message": "Data source not found"})
		return nil
	}
	return s
}

// queryRequest is the body of Grafana's POST /api/ds/query.
type queryRequest struct {
	From    string            `json:"from"`
	To      string            `json:"to"`
	Queries []json.RawMessage `json:"queries"`
}

// query forwards /api/ds/query: the queries of the request, with its time range, in one
// QueryData call. As Grafana answers without the multi-status feature, the status is 400
// when a query failed (the body still holds every query's answer).
func (h *Host) query(w http.ResponseWriter, r *http.Request) {
	var req queryRequest
	if err := json.NewDecoder(io.LimitReader(r.Body, maxBody)).Decode(&req); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"message": "bad request data: " + err.Error()})
		return
	}
	from, errFrom := parseEpochMs(req.From)
	to, errTo := parseEpochMs(req.To)
	if errFrom != nil || errTo != nil || len(req.Queries) == 0 {
		writeJSON(w, http.StatusBadRequest, map[string]string{"message": "bad request data: from, to (epoch ms) and queries are required"})
		return
	}
	s := h.Settings()
	queries := make([]harness.Query, 0, len(req.Queries))
	for _, raw := range req.Queries {
		var head struct {
			RefID         string `json:"refId"`
			QueryType     string `json:"queryType"`
			IntervalMs    int64  `json:"intervalMs"`
			MaxDataPoints int64  `json:"maxDataPoints"`
			Datasource    struct {
				UID string `json:"uid"`
			} `json:"datasource"`
		}
		if err := json.Unmarshal(raw, &head); err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"message": "bad query: " + err.Error()})
			return
		}
		if head.Datasource.UID != "" && head.Datasource.UID != s.UID {
			writeJSON(w, http.StatusBadRequest, map[string]string{"message": "query " + head.RefID + ": unknown data source " + head.Datasource.UID})
			return
		}
		queries = append(queries, harness.Query{
			RefID: head.RefID, QueryType: head.QueryType, Model: raw,
			From: from, To: to,
			Interval: time.Duration(head.IntervalMs) * time.Millisecond, MaxDataPoints: head.MaxDataPoints,
		})
	}
	ctx, cancel := context.WithTimeout(r.Context(), h.opts.Timeout)
	defer cancel()
	resp, err := h.opts.Client.QueryData(ctx, s, queries...)
	if err != nil {
		writeJSON(w, http.StatusInternalServerError, map[string]string{"message": "plugin QueryData: " + err.Error()})
		return
	}
	status := http.StatusOK
	for _, dr := range resp.Responses {
		if dr.Error != nil {
			status = http.StatusBadRequest
		}
	}
	b, err := json.Marshal(resp)
	if err != nil {
		writeJSON(w, http.StatusInternalServerError, map[string]string{"message": "encoding the answer: " + err.Error()})
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// resource forwards a resource call with its method, path, query string and body.
func (h *Host) resource(w http.ResponseWriter, r *http.Request) {
	s := h.settingsFor(w, r.PathValue("uid"))
	if s == nil {
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody))
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"message": err.Error()})
		return
	}
	path := r.PathValue("path")
	if r.URL.RawQuery != "" {
		path += "?" + r.URL.RawQuery
	}
	ctx, cancel := context.WithTimeout(r.Context(), h.opts.Timeout)
	defer cancel()
	rr, err := h.opts.Client.CallResource(ctx, s, r.Method, path, body)
	if err != nil {
		writeJSON(w, http.StatusInternalServerError, map[string]string{"message": "plugin CallResource: " + err.Error()})
		return
	}
	maps.Copy(w.Header(), rr.Headers)
	w.WriteHeader(rr.Status)
	_, _ = w.Write(rr.Body)
}

// health forwards Save & test: 200 with {status: "OK", message, details} when the
// check passes, else 400 with the same shape (as Grafana answers).
func (h *Host) health(w http.ResponseWriter, r *http.Request) {
	s := h.settingsFor(w, r.PathValue("uid"))
	if s == nil {
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), h.opts.Timeout)
	defer cancel()
	res, err := h.opts.Client.CheckHealth(ctx, s)
	if err != nil {
		writeJSON(w, http.StatusInternalServerError, map[string]string{"message": "plugin CheckHealth: " + err.Error()})
		return
	}
	out := map[string]any{"status": res.Status.String(), "message": res.Message}
	if len(res.JSONDetails) > 0 {
		out["details"] = json.RawMessage(res.JSONDetails)
	}
	status := http.StatusOK
	if res.Status != backend.HealthStatusOk {
		status = http.StatusBadRequest
	}
	writeJSON(w, status, out)
}

// dataSourceSettings is Grafana's data source JSON (DataSourceSettings in @grafana/data).
type dataSourceSettings struct {
	ID               int64           `json:"id"`
	UID              string          `json:"uid"`
	OrgID            int64           `json:"orgId"`
	Name             string          `json:"name"`
	Type             string          `json:"type"`
	TypeName         string          `json:"typeName"`
	Access           string          `json:"access"`
	URL              string          `json:"url"`
	User             string          `json:"user"`
	Database         string          `json:"database"`
	BasicAuth        bool            `json:"basicAuth"`
	BasicAuthUser    string          `json:"basicAuthUser"`
	IsDefault        bool            `json:"isDefault"`
	JSONData         map[string]any  `json:"jsonData"`
	SecureJSONFields map[string]bool `json:"secureJsonFields"`
	SecureJSONData   map[string]any  `json:"secureJsonData,omitempty"`
	ReadOnly         bool            `json:"readOnly"`
	WithCredentials  bool            `json:"withCredentials"`
	Version          int64           `json:"version"`
}

func settingsJSON(s *harness.Settings) dataSourceSettings {
	b := s.Backend().DataSourceInstanceSettings
	var jsonData map[string]any
	_ = json.Unmarshal(b.JSONData, &jsonData)
	fields := map[string]bool{}
	for k, v := range b.DecryptedSecureJSONData {
		if v != "" {
			fields[k] = true
		}
	}
	return dataSourceSettings{
		ID: b.ID, UID: b.UID, OrgID: s.OrgID, Name: b.Name, Type: harness.PluginID, TypeName: "GoPulse",
		Access: "proxy", URL: b.URL, User: b.User, Database: b.Database,
		BasicAuth: b.BasicAuthEnabled, BasicAuthUser: b.BasicAuthUser, IsDefault: true,
		JSONData: jsonData, SecureJSONFields: fields, Version: b.Updated.UnixMilli(),
	}
}

func (h *Host) getSettings(w http.ResponseWriter, r *http.Request) {
	if s := h.settingsFor(w, r.PathValue("uid")); s != nil {
		writeJSON(w, http.StatusOK, settingsJSON(s))
	}
}

// putSettings saves the ConfigEditor's settings as Grafana does: the secrets sent are
// set (an empty one is removed), the ones not sent are kept, and the plugin gets a new
// instance (a later Updated time).
func (h *Host) putSettings(w http.ResponseWriter, r *http.Request) {
	old := h.settingsFor(w, r.PathValue("uid"))
	if old == nil {
		return
	}
	var in dataSourceSettings
	if err := json.NewDecoder(io.LimitReader(r.Body, maxBody)).Decode(&in); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"message": "bad request data: " + err.Error()})
		return
	}
	prev := old.Backend().DataSourceInstanceSettings
	secure := maps.Clone(prev.DecryptedSecureJSONData)
	for k, v := range in.SecureJSONData {
		str, _ := v.(string)
		if str == "" {
			delete(secure, k)
		} else {
			secure[k] = str
		}
	}
	updated := time.Now().Truncate(time.Millisecond)
	if !updated.After(prev.Updated) {
		updated = prev.Updated.Add(time.Millisecond)
	}
	next := &harness.Settings{
		UID: prev.UID, ID: prev.ID, Name: prev.Name, OrgID: old.OrgID, Updated: updated,
		URL: in.URL, JSONData: in.JSONData, Secure: secure,
		BasicAuthEnabled: in.BasicAuth, BasicAuthUser: in.BasicAuthUser, User: in.User, Database: in.Database,
	}
	h.mu.Lock()
	h.ds = next
	h.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"message": "Datasource updated", "datasource": settingsJSON(next)})
}

// live runs a data source stream as Grafana Live does for a subscriber: SubscribeStream
// decides (404 when the plugin answers NOT_FOUND, 403 when PERMISSION_DENIED), then
// RunStream's packets (frames as JSON) are sent as server-sent events until the browser
// closes the connection.
func (h *Host) live(w http.ResponseWriter, r *http.Request) {
	s := h.settingsFor(w, r.PathValue("uid"))
	if s == nil {
		return
	}
	path, data := r.PathValue("path"), []byte(r.URL.Query().Get("data"))
	sub, err := h.opts.Client.Stream.SubscribeStream(r.Context(), &pluginv2.SubscribeStreamRequest{PluginContext: s.PluginContext(), Path: path, Data: data})
	if err != nil {
		writeJSON(w, http.StatusInternalServerError, map[string]string{"message": "plugin SubscribeStream: " + err.Error()})
		return
	}
	switch sub.Status {
	case pluginv2.SubscribeStreamResponse_OK:
	case pluginv2.SubscribeStreamResponse_PERMISSION_DENIED:
		writeJSON(w, http.StatusForbidden, map[string]string{"message": "permission denied"})
		return
	default:
		writeJSON(w, http.StatusNotFound, map[string]string{"message": "stream not found"})
		return
	}
	stream, err := h.opts.Client.Stream.RunStream(r.Context(), &pluginv2.RunStreamRequest{PluginContext: s.PluginContext(), Path: path, Data: data})
	if err != nil {
		writeJSON(w, http.StatusInternalServerError, map[string]string{"message": "plugin RunStream: " + err.Error()})
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	flusher, _ := w.(http.Flusher)
	if len(sub.Data) > 0 {
		writeEvent(w, sub.Data)
	}
	for {
		if flusher != nil {
			flusher.Flush()
		}
		packet, err := stream.Recv()
		if err != nil {
			return // the browser went away, or the plugin ended the stream
		}
		writeEvent(w, packet.Data)
	}
}

func writeEvent(w io.Writer, data []byte) {
	_, _ = fmt.Fprintf(w, "data: %s\n\n", bytes.ReplaceAll(data, []byte("\n"), nil))
}

func parseEpochMs(s string) (time.Time, error) {
	ms, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("not epoch milliseconds: %q", s)
	}
	return time.UnixMilli(ms), nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
