package plugin

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/gopulse/health/pkg/query"
	"github.com/gopulse/health/pkg/response"
	"github.com/gopulse/health/pkg/upstream"
)

// sharedAnswer answers q with run, sharing the answer with identical queries as the data
// source's shared reads say (Settings.Sharing): viewers refreshing the same dashboard
// within one cacheTTL window get one answer, built once. Identical means the same query
// (ref ID, type, JSON, interval, max data points), a time range in the same window and the
// same request headers (forwarded identity). The answer is masked once, by run, and
// read-only from then on. An answer with an error is shared with the queries waiting for
// it, not kept.
func (d *Datasource) sharedAnswer(ctx context.Context, headers map[string]string, q backend.DataQuery, run func(context.Context) backend.DataResponse) backend.DataResponse {
	s := d.settings.Sharing
	if !s.Coalesce || d.answers == nil || !fromServers(q) {
		return run(ctx)
	}
	r, _, err := d.answers.Do(ctx, queryKey(q, headers, s.TTL), func(ctx context.Context) (backend.DataResponse, time.Time, error) {
		r := run(ctx)
		var expires time.Time
		if r.Error == nil && s.TTL > 0 {
			_, expires = upstream.Window(time.Now(), s.TTL)
		}
		return r, expires, nil
	})
	if err != nil { // this query's own context ended while it waited
		return response.Response(nil, err)
	}
	return r
}

// fromServers tells whether q's answer comes from Prometheus or the Alertmanager, the
// answers sharedAnswer shares. Answers from the plugin's own expvar history (expvar
// queries, runtime queries with source expvar, the expvar variable kinds) are cheap and
// change at every poll: they are always built afresh.
func fromServers(q backend.DataQuery) bool {
	var m struct {
		Source   query.Source `json:"source"`
		Variable struct {
			Kind query.VariableKind `json:"kind"`
		} `json:"variableQuery"`
	}
	switch query.Type(q.QueryType) {
	case query.TypeExpvar:
		return false
	case query.TypeRuntime:
		_ = json.Unmarshal(q.JSON, &m) // a bad model fails in the query itself
		return m.Source != query.SourceExpvar
	case query.TypeVariable:
		_ = json.Unmarshal(q.JSON, &m)
		return m.Variable.Kind != query.VariableExpvarTargets && m.Variable.Kind != query.VariableExpvarPaths
	}
	return true
}

// queryKey is what makes two queries identical for sharedAnswer.
func queryKey(q backend.DataQuery, headers map[string]string, ttl time.Duration) string {
	h := sha256.New()
	var n [8]byte
	num := func(x int64) {
		binary.LittleEndian.PutUint64(n[:], uint64(x))
		h.Write(n[:])
	}
	str := func(s string) {
		num(int64(len(s)))
		h.Write([]byte(s))
	}
	str(q.RefID)
	str(q.QueryType)
	str(string(q.JSON))
	num(int64(q.Interval))
	num(q.MaxDataPoints)
	for _, t := range []time.Time{q.TimeRange.From, q.TimeRange.To} {
		if ttl > 0 {
			w, _ := upstream.Window(t, ttl)
			num(w)
		} else {
			num(t.UnixNano())
		}
	}
	header := make(http.Header, len(headers))
	for k, v := range headers {
		header.Add(k, v)
	}
	str(upstream.HeaderDigest(header))
	return hex.EncodeToString(h.Sum(nil))
}

// answerSize estimates the memory of an answer's frames.
func answerSize(r backend.DataResponse) int64 {
	size := int64(256)
	for _, f := range r.Frames {
		size += 256
		for _, fl := range f.Fields {
			size += 128 + int64(fl.Len())*fieldBytes(fl.Type())
			for k, v := range fl.Labels {
				size += int64(len(k) + len(v) + 32)
			}
		}
	}
	return size
}

func fieldBytes(t data.FieldType) int64 {
	switch t {
	case data.FieldTypeTime, data.FieldTypeNullableTime:
		return 24
	case data.FieldTypeString, data.FieldTypeNullableString:
		return 32
	}
	return 8
}
