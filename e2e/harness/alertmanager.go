package harness

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

// Alertmanager is a running Alertmanager.
type Alertmanager struct {
	*Process
	Addr       string // 127.0.0.1:port
	URL        string // http://127.0.0.1:port
	ConfigFile string // the derived configuration
	// Webhooks receives every notification: all webhook URLs of the provisioned
	// configuration point to it (path /<receiver name>).
	Webhooks *WebhookSink
}

// AlertmanagerOptions configures StartAlertmanagerWith.
type AlertmanagerOptions struct {
	// ConfigPath is the configuration to derive from; default
	// provisioning/alertmanager/alertmanager.yml.
	ConfigPath string
	// WebhookURL, when set, replaces every webhook URL verbatim (e.g. the load
	// generator's /alerts sink) instead of pointing them to Webhooks.
	WebhookURL string
	ExtraArgs  []string
}

// StartAlertmanager starts /usr/bin/prometheus-alertmanager with the provisioned
// configuration (webhooks rewritten to a loopback sink, other notifiers removed),
// clustering disabled, on a free loopback port, and waits for /-/ready.
func StartAlertmanager(t testing.TB) *Alertmanager {
	t.Helper()
	return StartAlertmanagerWith(t, AlertmanagerOptions{})
}

// StartAlertmanagerWith is StartAlertmanager with options.
func StartAlertmanagerWith(t testing.TB, opts AlertmanagerOptions) *Alertmanager {
	t.Helper()
	bin := AlertmanagerBinary(t)
	sink := NewWebhookSink(t)
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "alertmanager.yml")
	b, err := alertmanagerConfig(t, opts.ConfigPath, sink.URL, opts.WebhookURL)
	if err != nil {
		t.Fatalf("harness: alertmanager config: %v", err)
	}
	if err := os.WriteFile(cfgPath, b, 0o644); err != nil {
		t.Fatalf("harness: write alertmanager config: %v", err)
	}
	p, addr := startServer(t, func(addr string) ProcessOpts {
		data, err := os.MkdirTemp(dir, "data-")
		if err != nil {
			t.Fatalf("harness: %v", err)
		}
		args := []string{
			"--config.file=" + cfgPath,
			"--storage.path=" + data,
			"--web.listen-address=" + addr,
			"--cluster.listen-address=",
			"--log.level=info",
		}
		args = append(args, opts.ExtraArgs...)
		return ProcessOpts{Name: "alertmanager", Binary: bin, Args: args, Dir: dir}
	}, ReadyTimeout, func(addr string) error {
		return expect200("http://" + addr + "/-/ready")
	})
	return &Alertmanager{Process: p, Addr: addr, URL: "http://" + addr, ConfigFile: cfgPath, Webhooks: sink}
}

// Version returns the version Alertmanager reports on /api/v2/status.
func (a *Alertmanager) Version(t testing.TB) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	code, body, err := HTTPGet(ctx, a.URL+"/api/v2/status")
	if err != nil {
		t.Fatalf("harness: alertmanager status: %v", err)
	}
	var r struct {
		VersionInfo struct {
			Version string `json:"version"`
		} `json:"versionInfo"`
	}
	if err := json.Unmarshal(body, &r); err != nil || r.VersionInfo.Version == "" {
		t.Fatalf("harness: alertmanager status: HTTP %d: %.200s", code, body)
	}
	return r.VersionInfo.Version
}

// AlertmanagerConfig derives a test configuration from src (default
// provisioning/alertmanager/alertmanager.yml): every webhook URL points to
// sinkURL/<receiver>, other notifier configs are removed (they would reach out of
// the machine), template paths are made absolute.
func AlertmanagerConfig(t testing.TB, src, sinkURL string) ([]byte, error) {
	t.Helper()
	return alertmanagerConfig(t, src, sinkURL, "")
}

func alertmanagerConfig(t testing.TB, src, sinkURL, fixedURL string) ([]byte, error) {
	t.Helper()
	cfg, baseDir, err := readConfig(t, src, "alertmanager", "alertmanager.yml")
	if err != nil {
		return nil, err
	}
	receivers, _ := cfg["receivers"].([]any)
	for _, r := range receivers {
		rec, ok := r.(map[string]any)
		if !ok {
			continue
		}
		name, _ := rec["name"].(string)
		for k := range rec {
			if strings.HasSuffix(k, "_configs") && k != "webhook_configs" {
				t.Logf("harness: alertmanager: receiver %q: dropping %s", name, k)
				delete(rec, k)
			}
		}
		hooks, _ := rec["webhook_configs"].([]any)
		for _, h := range hooks {
			if hook, ok := h.(map[string]any); ok {
				delete(hook, "url_file")
				if fixedURL != "" {
					hook["url"] = fixedURL
				} else {
					hook["url"] = sinkURL + "/" + name
				}
			}
		}
	}
	if tpls, ok := cfg["templates"].([]any); ok {
		for i, tp := range tpls {
			if s, ok := tp.(string); ok && !filepath.IsAbs(s) {
				tpls[i] = filepath.Join(baseDir, s)
			}
		}
	}
	return yaml.Marshal(cfg)
}

// WebhookSink is a loopback HTTP server that records Alertmanager notifications.
type WebhookSink struct {
	URL string

	srv *httptest.Server
	mu  sync.Mutex
	got []WebhookNotification
}

// WebhookNotification is one POST received by the sink.
type WebhookNotification struct {
	Receiver string          // the path: the receiver's name
	Body     json.RawMessage // Alertmanager's webhook payload
}

// NewWebhookSink starts a sink closed in t.Cleanup.
func NewWebhookSink(t testing.TB) *WebhookSink {
	t.Helper()
	s := &WebhookSink{}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(io.LimitReader(r.Body, 4<<20))
		s.mu.Lock()
		s.got = append(s.got, WebhookNotification{Receiver: strings.TrimPrefix(r.URL.Path, "/"), Body: b})
		s.mu.Unlock()
		w.WriteHeader(http.StatusOK)
	}))
	s.URL = s.srv.URL
	t.Cleanup(s.srv.Close)
	return s
}

// Received returns the notifications received so far.
func (s *WebhookSink) Received() []WebhookNotification {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]WebhookNotification(nil), s.got...)
}
