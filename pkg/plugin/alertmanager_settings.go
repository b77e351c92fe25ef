package plugin

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"unicode"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/backend/httpclient"

	"github.com/gopulse/health/pkg/upstream"
)

// alertmanagerPrefix starts the jsonData and secureJsonData keys of the Alertmanager's
// own connection settings. Each is one of Grafana's standard HTTP keys with the prefix:
// alertmanagerBasicAuth, alertmanagerBasicAuthUser, alertmanagerTimeout,
// alertmanagerTlsSkipVerify, alertmanagerTlsAuth, alertmanagerTlsAuthWithCACert,
// alertmanagerServerName, alertmanagerHttpHeaderName1..n in jsonData;
// alertmanagerBasicAuthPassword, alertmanagerHttpHeaderValue1..n, alertmanagerTlsCACert,
// alertmanagerTlsClientCert, alertmanagerTlsClientKey in secureJsonData.
const alertmanagerPrefix = "alertmanager"

// alertmanagerHTTP returns the HTTP options of the Alertmanager. By default the
// Alertmanager has its own: none of Prometheus's credentials, headers or client
// certificate go to it. With jsonData alertmanagerUsePrometheusAuth it shares
// Prometheus's options, an explicit choice for an Alertmanager behind the same proxy.
func alertmanagerHTTP(ctx context.Context, s backend.DataSourceInstanceSettings, share bool, prometheus httpclient.Options) (httpclient.Options, error) {
	if share {
		return prometheus, nil
	}
	var jd map[string]any
	if len(s.JSONData) > 0 {
		if err := json.Unmarshal(s.JSONData, &jd); err != nil {
			return httpclient.Options{}, err
		}
	}
	own := backend.DataSourceInstanceSettings{
		UID:                     s.UID,
		Name:                    s.Name,
		Type:                    s.Type,
		DecryptedSecureJSONData: unprefixed(s.DecryptedSecureJSONData),
	}
	raw, err := json.Marshal(unprefixed(jd))
	if err != nil {
		return httpclient.Options{}, err
	}
	own.JSONData = raw
	opts, err := own.HTTPClientOptions(ctx)
	if err != nil {
		return opts, fmt.Errorf("settings: Alertmanager HTTP options: %w", err)
	}
	// The proxy (Grafana's secure socks proxy) is the data source's, whoever it serves.
	opts.ProxyOptions = prometheus.ProxyOptions
	return opts, nil
}

// unprefixed returns the entries of m whose key is alertmanagerXxx, keyed xxx.
func unprefixed[V any](m map[string]V) map[string]V {
	out := map[string]V{}
	for k, v := range m {
		rest, ok := strings.CutPrefix(k, alertmanagerPrefix)
		if !ok || rest == "" || !unicode.IsUpper(rune(rest[0])) {
			continue
		}
		out[strings.ToLower(rest[:1])+rest[1:]] = v
	}
	return out
}

// sameHostRedirects gives an HTTP client GoPulse's redirect policy.
func sameHostRedirects(_ httpclient.Options, c *http.Client) {
	c.CheckRedirect = upstream.SameHostRedirects
}
