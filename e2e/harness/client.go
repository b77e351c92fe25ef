package harness

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"strings"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/genproto/pluginv2"
	"google.golang.org/grpc"
)

// Client talks to a plugin over the plugin protocol, whether it runs as a
// subprocess (StartPlugin) or in the test process (ServeInProcess).
type Client struct {
	Data        pluginv2.DataClient
	Resource    pluginv2.ResourceClient
	Diagnostics pluginv2.DiagnosticsClient
	Stream      pluginv2.StreamClient
	// Conn is the gRPC connection the clients use.
	Conn *grpc.ClientConn
	// PID is the plugin process id (0 when in-process).
	PID int
	// LogPath is the plugin log (StartPlugin only).
	LogPath string
}

func newClient(conn *grpc.ClientConn) *Client {
	return &Client{
		Data:        pluginv2.NewDataClient(conn),
		Resource:    pluginv2.NewResourceClient(conn),
		Diagnostics: pluginv2.NewDiagnosticsClient(conn),
		Stream:      pluginv2.NewStreamClient(conn),
		Conn:        conn,
	}
}

// Query is one query of a QueryData request.
type Query struct {
	// RefID defaults to "A", "B", ... by position.
	RefID string
	// QueryType defaults to the model's "queryType".
	QueryType string
	// Model is the query's JSON: a map[string]any (refId, intervalMs,
	// maxDataPoints and datasource are added as Grafana does), any value that
	// marshals to JSON, or json.RawMessage / []byte sent verbatim (e.g. invalid JSON).
	Model any
	// From and To default to the last 5 minutes.
	From, To time.Time
	// Interval defaults to 15s; MaxDataPoints to 1000.
	Interval      time.Duration
	MaxDataPoints int64
}

// DataQuery converts q to the SDK form for settings s (position i names the RefID).
func (q Query) DataQuery(s *Settings, i int) (backend.DataQuery, error) {
	if q.RefID == "" {
		q.RefID = string(rune('A' + i%26))
		if i >= 26 {
			q.RefID += fmt.Sprint(i / 26)
		}
	}
	if q.To.IsZero() {
		q.To = time.Now()
	}
	if q.From.IsZero() {
		q.From = q.To.Add(-5 * time.Minute)
	}
	if q.Interval <= 0 {
		q.Interval = 15 * time.Second
	}
	if q.MaxDataPoints <= 0 {
		q.MaxDataPoints = 1000
	}
	var raw []byte
	switch m := q.Model.(type) {
	case json.RawMessage:
		raw = m
	case []byte:
		raw = m
	case string:
		raw = []byte(m)
	case map[string]any:
		model := maps.Clone(m)
		if q.QueryType == "" {
			q.QueryType, _ = model["queryType"].(string)
		}
		model["refId"] = q.RefID
		if _, ok := model["intervalMs"]; !ok {
			model["intervalMs"] = q.Interval.Milliseconds()
		}
		if _, ok := model["maxDataPoints"]; !ok {
			model["maxDataPoints"] = q.MaxDataPoints
		}
		if _, ok := model["datasource"]; !ok && s != nil {
			s.mu.Lock()
			s.fill()
			model["datasource"] = map[string]any{"type": PluginID, "uid": s.UID}
			s.mu.Unlock()
		}
		b, err := json.Marshal(model)
		if err != nil {
			return backend.DataQuery{}, err
		}
		raw = b
	case nil:
		raw = []byte("{}")
	default:
		b, err := json.Marshal(m)
		if err != nil {
			return backend.DataQuery{}, err
		}
		raw = b
	}
	return backend.DataQuery{
		RefID:         q.RefID,
		QueryType:     q.QueryType,
		MaxDataPoints: q.MaxDataPoints,
		Interval:      q.Interval,
		TimeRange:     backend.TimeRange{From: q.From, To: q.To},
		JSON:          raw,
	}, nil
}

// QueryDataRequest builds the protocol request for queries against settings s.
func QueryDataRequest(s *Settings, queries ...Query) (*pluginv2.QueryDataRequest, error) {
	req := &backend.QueryDataRequest{PluginContext: s.Backend()}
	for i, q := range queries {
		dq, err := q.DataQuery(s, i)
		if err != nil {
			return nil, fmt.Errorf("query %d: %w", i, err)
		}
		req.Queries = append(req.Queries, dq)
	}
	return backend.ToProto().QueryDataRequest(req), nil
}

// QueryData sends a QueryData request with queries against data source s and
// decodes the answer (frames from Arrow). A gRPC error is returned as is.
func (c *Client) QueryData(ctx context.Context, s *Settings, queries ...Query) (*backend.QueryDataResponse, error) {
	req, err := QueryDataRequest(s, queries...)
	if err != nil {
		return nil, err
	}
	resp, err := c.Data.QueryData(ctx, req)
	if err != nil {
		return nil, err
	}
	return backend.FromProto().QueryDataResponse(resp)
}

// CheckHealth sends a CheckHealth request for data source s.
func (c *Client) CheckHealth(ctx context.Context, s *Settings) (*backend.CheckHealthResult, error) {
	resp, err := c.Diagnostics.CheckHealth(ctx, &pluginv2.CheckHealthRequest{PluginContext: s.PluginContext()})
	if err != nil {
		return nil, err
	}
	return backend.FromProto().CheckHealthResponse(resp), nil
}

// ResourceResponse is a collected CallResource answer.
type ResourceResponse struct {
	Status  int
	Headers http.Header
	Body    []byte
}

// JSON decodes the body into v.
func (r *ResourceResponse) JSON(v any) error {
	if err := json.Unmarshal(r.Body, v); err != nil {
		return fmt.Errorf("resource body (HTTP %d) is not the expected JSON: %w: %.300s", r.Status, err, r.Body)
	}
	return nil
}

// CallResource calls a resource of data source s as Grafana does for
// /api/datasources/uid/<uid>/resources/<path>: path may carry a query string
// ("label-values?label=job"). The response stream is collected.
func (c *Client) CallResource(ctx context.Context, s *Settings, method, path string, body []byte) (*ResourceResponse, error) {
	path = strings.TrimPrefix(path, "/")
	p, _, _ := strings.Cut(path, "?")
	headers := map[string]*pluginv2.StringList{}
	if len(body) > 0 {
		headers["Content-Type"] = &pluginv2.StringList{Values: []string{"application/json"}}
	}
	stream, err := c.Resource.CallResource(ctx, &pluginv2.CallResourceRequest{
		PluginContext: s.PluginContext(),
		Path:          p,
		Method:        method,
		Url:           path,
		Headers:       headers,
		Body:          body,
	})
	if err != nil {
		return nil, err
	}
	out := &ResourceResponse{Headers: http.Header{}}
	first := true
	for {
		msg, err := stream.Recv()
		if err == io.EOF {
			break
		}
		if err != nil {
			return out, err
		}
		if first {
			out.Status = int(msg.Code)
			for k, v := range msg.Headers {
				out.Headers[http.CanonicalHeaderKey(k)] = v.Values
			}
			first = false
		}
		out.Body = append(out.Body, msg.Body...)
	}
	if first {
		return nil, fmt.Errorf("CallResource %s %s: the plugin sent no response", method, path)
	}
	return out, nil
}
