package harness

import (
	"encoding/json"
	"fmt"
	"maps"
	"sync"
	"sync/atomic"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/backend/useragent"
	"github.com/grafana/grafana-plugin-sdk-go/genproto/pluginv2"
)

// PluginID is the plugin id of GoPulse (plugin.json).
const PluginID = "gopulse-health-datasource"

// GrafanaUserAgent is the user agent sent in plugin contexts.
const GrafanaUserAgent = "Grafana/12.4.0 (linux; amd64)"

var settingsSeq atomic.Int64

// Settings describes a data source as Grafana would send it in a plugin context.
// Zero UID, ID and Updated are filled in on first use with values unique to this
// data source, so the SDK's instance manager caches one instance per Settings;
// Touch marks the settings as edited (a new instance is created).
//
// Use a *Settings for the whole test; do not copy it after first use.
type Settings struct {
	UID  string
	ID   int64
	Name string
	// URL is the data source URL: the Prometheus URL.
	URL string
	// JSONData is the jsonData object (alertmanagerUrl, timeout, ...).
	JSONData map[string]any
	// Secure is the decrypted secureJsonData.
	Secure map[string]string

	BasicAuthEnabled bool
	BasicAuthUser    string
	User             string
	Database         string

	OrgID   int64     // default 1
	Updated time.Time // default: first use

	mu sync.Mutex
}

func (s *Settings) fill() {
	if s.ID == 0 || s.UID == "" {
		n := settingsSeq.Add(1)
		if s.ID == 0 {
			s.ID = n
		}
		if s.UID == "" {
			s.UID = fmt.Sprintf("e2e-ds-%d-%d", n, time.Now().UnixNano())
		}
	}
	if s.Name == "" {
		s.Name = "GoPulse " + s.UID
	}
	if s.OrgID == 0 {
		s.OrgID = 1
	}
	if s.Updated.IsZero() {
		s.Updated = time.Now().Truncate(time.Millisecond)
	}
}

// Touch marks the settings as changed: the plugin must build a new instance.
func (s *Settings) Touch() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fill()
	next := time.Now().Truncate(time.Millisecond)
	if !next.After(s.Updated) {
		next = s.Updated.Add(time.Millisecond)
	}
	s.Updated = next
}

// Backend returns the SDK form of the plugin context.
func (s *Settings) Backend() backend.PluginContext {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fill()
	jsonData := []byte("{}")
	if s.JSONData != nil {
		b, err := json.Marshal(s.JSONData)
		if err != nil {
			panic(fmt.Sprintf("harness: Settings.JSONData is not JSON-serialisable: %v", err))
		}
		jsonData = b
	}
	secure := map[string]string{}
	maps.Copy(secure, s.Secure)
	return backend.PluginContext{
		OrgID:    s.OrgID,
		PluginID: PluginID,
		User:     &backend.User{Login: "e2e", Name: "E2E", Email: "e2e@example.invalid", Role: "Admin"},
		DataSourceInstanceSettings: &backend.DataSourceInstanceSettings{
			ID:                      s.ID,
			UID:                     s.UID,
			Type:                    PluginID,
			Name:                    s.Name,
			URL:                     s.URL,
			User:                    s.User,
			Database:                s.Database,
			BasicAuthEnabled:        s.BasicAuthEnabled,
			BasicAuthUser:           s.BasicAuthUser,
			JSONData:                jsonData,
			DecryptedSecureJSONData: secure,
			Updated:                 s.Updated,
		},
		UserAgent: grafanaUserAgent,
	}
}

// PluginContext returns the protocol form of the plugin context.
func (s *Settings) PluginContext() *pluginv2.PluginContext {
	return backend.ToProto().PluginContext(s.Backend())
}

var grafanaUserAgent = func() *useragent.UserAgent {
	ua, err := useragent.Parse(GrafanaUserAgent)
	if err != nil {
		panic(err)
	}
	return ua
}()
