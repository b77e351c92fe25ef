package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"sync"
	"time"
)

// newControl serves the operator's endpoints:
//
//	GET  /mode             the app's current mode (forwarded to GET /admin/mode)
//	POST /mode?mode=slow   switch the app's mode (forwarded to POST /admin/mode); a form
//	                       body mode=slow works too
//	GET  /stats            requests sent and how the app answered
//	POST /alerts           Alertmanager webhook receiver
//	GET  /alerts           the notifications received, newest last
func newControl(target string, client *http.Client, st *stats, alerts *alertLog) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /mode", func(w http.ResponseWriter, r *http.Request) {
		forward(w, r, client, http.MethodGet, target+"/admin/mode")
	})
	mux.HandleFunc("POST /mode", func(w http.ResponseWriter, r *http.Request) {
		forward(w, r, client, http.MethodPost, target+"/admin/mode?mode="+url.QueryEscape(r.FormValue("mode")))
	})
	mux.HandleFunc("GET /stats", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, st.snapshot())
	})
	mux.HandleFunc("POST /alerts", alerts.receive)
	mux.HandleFunc("GET /alerts", alerts.list)
	return mux
}

// forward sends a body-less request to the app and relays its answer.
func forward(w http.ResponseWriter, r *http.Request, client *http.Client, method, u string) {
	req, err := http.NewRequestWithContext(r.Context(), method, u, nil)
	if err != nil {
		writeJSON(w, http.StatusInternalServerError, map[string]string{"error": err.Error()})
		return
	}
	res, err := client.Do(req)
	if err != nil {
		writeJSON(w, http.StatusBadGateway, map[string]string{"error": "demo app: " + err.Error()})
		return
	}
	defer res.Body.Close()
	if ct := res.Header.Get("Content-Type"); ct != "" {
		w.Header().Set("Content-Type", ct)
	}
	w.WriteHeader(res.StatusCode)
	_, _ = io.Copy(w, io.LimitReader(res.Body, 1<<20))
}

// notification is what Alertmanager's webhook receiver posts, as far as it is kept here.
type notification struct {
	Receiver string `json:"receiver"`
	Status   string `json:"status"`
	Alerts   []struct {
		Status string            `json:"status"`
		Labels map[string]string `json:"labels"`
	} `json:"alerts"`
	ReceivedAt time.Time `json:"received_at"`
}

// alertLog keeps the last max notifications.
type alertLog struct {
	mu     sync.Mutex
	max    int
	total  int
	recent []notification
}

func newAlertLog(max int) *alertLog { return &alertLog{max: max} }

func (l *alertLog) receive(w http.ResponseWriter, r *http.Request) {
	var n notification
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 256<<10)).Decode(&n); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid notification: " + err.Error()})
		return
	}
	n.ReceivedAt = time.Now().UTC()
	l.mu.Lock()
	l.total++
	l.recent = append(l.recent, n)
	if len(l.recent) > l.max {
		l.recent = l.recent[len(l.recent)-l.max:]
	}
	l.mu.Unlock()
	w.WriteHeader(http.StatusOK)
}

func (l *alertLog) list(w http.ResponseWriter, _ *http.Request) {
	l.mu.Lock()
	defer l.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"total": l.total, "recent": l.recent})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}
