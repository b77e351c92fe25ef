// Package alertmanager is GoPulse's access to an Alertmanager's v2 HTTP API.
package alertmanager

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/gopulse/health/pkg/redact"
	"github.com/gopulse/health/pkg/upstream"
)

const service = "Alertmanager"

// Client talks to one Alertmanager.
type Client struct {
	base    *url.URL
	hc      *http.Client
	secrets *redact.Secrets
}

// New makes a client for the Alertmanager at base, through hc (which carries the
// Alertmanager's connection settings). secrets are masked in what its error answers
// quote.
func New(base *url.URL, hc *http.Client, secrets *redact.Secrets) *Client {
	return &Client{base: base, hc: hc, secrets: secrets}
}

// Status is the part of /api/v2/status that GoPulse reports.
type Status struct {
	Version string
	Cluster string
}

func (s Status) String() string {
	if s.Cluster == "" {
		return fmt.Sprintf("Alertmanager %s", s.Version)
	}
	return fmt.Sprintf("Alertmanager %s (cluster %s)", s.Version, s.Cluster)
}

// Status reads /api/v2/status.
func (c *Client) Status(ctx context.Context) (Status, error) {
	var body struct {
		Cluster *struct {
			Status string `json:"status"`
		} `json:"cluster"`
		VersionInfo *struct {
			Version string `json:"version"`
		} `json:"versionInfo"`
	}
	if err := c.get(ctx, "api/v2/status", &body); err != nil {
		return Status{}, err
	}
	if body.VersionInfo == nil {
		return Status{}, upstream.Errorf(service, http.StatusBadGateway, "%s/api/v2/status has no versionInfo: this is not an Alertmanager v2 API", c.base.Host)
	}
	s := Status{Version: body.VersionInfo.Version}
	if body.Cluster != nil {
		s.Cluster = body.Cluster.Status
	}
	return s, nil
}

func (c *Client) get(ctx context.Context, path string, into any) error {
	u := c.base.JoinPath(path)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.hc.Do(req)
	if err != nil {
		return upstream.Transport(service, c.base.Host, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		excerpt, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return upstream.Status(service, resp.StatusCode, req.URL.Path, []byte(c.secrets.String(string(excerpt))))
	}
	if err := json.NewDecoder(resp.Body).Decode(into); err != nil {
		var (
			syntax  *json.SyntaxError
			typeErr *json.UnmarshalTypeError
		)
		switch {
		case errors.Is(err, io.EOF):
			return upstream.Errorf(service, http.StatusBadGateway, "%s answered %s with an empty body, not JSON: this is not an Alertmanager API", c.base.Host, req.URL.Path)
		case errors.Is(err, io.ErrUnexpectedEOF):
			return upstream.Errorf(service, http.StatusBadGateway, "the answer of %s to %s was cut short: the JSON ends before it is complete", c.base.Host, req.URL.Path)
		case !errors.As(err, &syntax) && !errors.As(err, &typeErr):
			return upstream.Transport(service, c.base.Host, err)
		}
		return upstream.Errorf(service, http.StatusBadGateway, "%s answered %s with something that is not JSON (%s): this is not an Alertmanager API", c.base.Host, req.URL.Path, resp.Header.Get("Content-Type"))
	}
	return nil
}

// Alert is an alert as Alertmanager's v2 API reports it.
type Alert struct {
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations"`
	StartsAt    time.Time         `json:"startsAt"`
	Status      struct {
		State       string   `json:"state"` // active | suppressed | unprocessed
		SilencedBy  []string `json:"silencedBy"`
		InhibitedBy []string `json:"inhibitedBy"`
	} `json:"status"`
	Receivers []struct {
		Name string `json:"name"`
	} `json:"receivers"`
}

// Alerts reads /api/v2/alerts: every alert Alertmanager holds, silenced and inhibited
// ones included.
func (c *Client) Alerts(ctx context.Context) ([]Alert, error) {
	var out []Alert
	if err := c.get(ctx, "api/v2/alerts", &out); err != nil {
		return nil, err
	}
	return out, nil
}
