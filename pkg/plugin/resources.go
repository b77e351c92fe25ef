package plugin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/backend/resource/httpadapter"
	v1 "github.com/prometheus/client_golang/api/prometheus/v1"

	"github.com/gopulse/health/pkg/goexpvar"
	"github.com/gopulse/health/pkg/goruntime"
	"github.com/gopulse/health/pkg/prometheus"
	"github.com/gopulse/health/pkg/response"
	"github.com/gopulse/health/pkg/scope"
	"github.com/gopulse/health/pkg/upstream"
)

const (
	// lookupWindow is how far back names and values are looked up.
	lookupWindow = 6 * time.Hour
	// resourceTTL is how long a resource answer is reused; resourceCacheBytes bounds the
	// answers kept.
	resourceTTL        = 30 * time.Second
	resourceCacheBytes = 16 << 20
	// truncatedHeader tells the editor that a list was cut at prometheus.MaxListEntries.
	truncatedHeader = "X-GoPulse-Truncated"
)

// newResources routes the data source's resource calls (editor autocomplete, variables).
// Answers are cached briefly per instance, so an editor typing does not hammer Prometheus.
func (d *Datasource) newResources() backend.CallResourceHandler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /label-values", d.cached(d.labelValues))
	mux.HandleFunc("GET /labels", d.cached(d.labelNames))
	mux.HandleFunc("GET /metrics", d.cached(d.metricNames))
	mux.HandleFunc("GET /metadata", d.cached(d.metadata))
	mux.HandleFunc("GET /runtime-catalogue", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, goruntime.Catalogue())
	})
	mux.HandleFunc("GET /health-signals", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, healthSignals(d.settings.Health.Thresholds))
	})
	mux.HandleFunc("GET /expvar-targets", d.expvarStatuses)
	mux.HandleFunc("GET /expvar-vars", d.expvarVars)
	mux.HandleFunc("GET /expvar-suggestions", d.expvarSuggestions)
	return httpadapter.New(mux)
}

// CallResource serves the data source's resources.
func (d *Datasource) CallResource(ctx context.Context, req *backend.CallResourceRequest, sender backend.CallResourceResponseSender) error {
	if d.settingsErr != nil {
		body, _ := json.Marshal(map[string]string{"error": d.settingsErr.Error()})
		return sender.Send(&backend.CallResourceResponse{Status: http.StatusBadRequest, Body: body, Headers: map[string][]string{"Content-Type": {"application/json"}}})
	}
	return d.resources.CallResource(ctx, req, maskedSender{sender, d})
}

// answer is a resource's JSON value and whether the list behind it was truncated.
type answer struct {
	value     any
	truncated bool
}

type resourceFunc func(r *http.Request) (answer, error)

// encodedAnswer is an answer as sent: its JSON and whether its list was truncated.
type encodedAnswer struct {
	body      []byte
	truncated bool
}

func encodedSize(a encodedAnswer) int64 { return int64(len(a.body)) }

// cached serves fn's answer as JSON, from the instance's resource cache when fresh;
// identical calls in flight at once share one. Errors are not kept.
func (d *Datasource) cached(fn resourceFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		key := r.URL.Path + "?" + r.URL.RawQuery
		if d.prom == nil {
			writeError(w, response.BadInput(errNoPrometheus))
			return
		}
		a, _, err := d.resourceCache.Do(r.Context(), key, func(ctx context.Context) (encodedAnswer, time.Time, error) {
			a, err := fn(r.WithContext(ctx))
			if err != nil {
				return encodedAnswer{}, time.Time{}, err
			}
			body, err := json.Marshal(a.value)
			return encodedAnswer{append(body, '\n'), a.truncated}, time.Now().Add(resourceTTL), err
		})
		if err != nil {
			writeError(w, err)
			return
		}
		if a.truncated {
			w.Header().Set(truncatedHeader, "true")
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(a.body)
	}
}

func lookupRange() v1.Range {
	now := time.Now()
	return prometheus.Window(now.Add(-lookupWindow), now)
}

// labelValues answers label-values?label=NAME[&match[]=SELECTOR...].
func (d *Datasource) labelValues(r *http.Request) (answer, error) {
	label := r.URL.Query().Get("label")
	if label == "" {
		return answer{}, response.BadInput(errors.New("label is required: label-values?label=NAME"))
	}
	l, err := d.prom.LabelValues(r.Context(), label, r.URL.Query()["match[]"], lookupRange())
	return answer{l.Values, l.Truncated}, err
}

// labelNames answers labels[?match[]=SELECTOR...].
func (d *Datasource) labelNames(r *http.Request) (answer, error) {
	l, err := d.prom.LabelNames(r.Context(), r.URL.Query()["match[]"], lookupRange())
	return answer{l.Values, l.Truncated}, err
}

// metricNames answers metrics[?match=REGEX]: metric names, filtered by an RE2 regex.
func (d *Datasource) metricNames(r *http.Request) (answer, error) {
	re, err := scope.Anchored(r.URL.Query().Get("match"))
	if err != nil {
		return answer{}, response.BadInput(fmt.Errorf("match: %w", err))
	}
	l, err := d.prom.LabelValues(r.Context(), "__name__", nil, lookupRange())
	if err != nil {
		return answer{}, err
	}
	return answer{filter(l.Values, re), l.Truncated}, nil
}

// metadata answers metadata[?metric=NAME].
func (d *Datasource) metadata(r *http.Request) (answer, error) {
	md, truncated, err := d.prom.Metadata(r.Context(), r.URL.Query().Get("metric"))
	return answer{md, truncated}, err
}

func filter(vals []string, re *regexp.Regexp) []string {
	if re == nil {
		return vals
	}
	out := make([]string, 0, len(vals))
	for _, v := range vals {
		if re.MatchString(v) {
			out = append(out, v)
		}
	}
	return out
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// writeError answers a resource call with the same status and message a query would get.
func writeError(w http.ResponseWriter, err error) {
	res := response.Response(nil, err)
	var ue *upstream.Error
	msg := err.Error()
	if errors.As(err, &ue) {
		msg = ue.Error()
	}
	writeJSON(w, int(res.Status), map[string]string{"error": msg})
}

// expvarStatuses answers expvar-targets: every target with its status (polling starts on
// this first use).
func (d *Datasource) expvarStatuses(w http.ResponseWriter, r *http.Request) {
	if d.expvar == nil {
		writeJSON(w, http.StatusOK, []any{})
		return
	}
	d.expvar.Start(r.Context())
	d.expvar.WaitFirstPoll(r.Context())
	writeJSON(w, http.StatusOK, d.expvar.Statuses())
}

// expvarVars answers expvar-vars?target=NAME: the flattened variables of the target's
// latest document, with kind and value, for the editor's autocomplete.
func (d *Datasource) expvarVars(w http.ResponseWriter, r *http.Request) {
	if d.expvar == nil {
		writeError(w, response.BadInput(goexpvar.ErrNoTargets))
		return
	}
	name := r.URL.Query().Get("target")
	if _, err := goexpvar.SelectTargets(d.expvar.Targets(), []string{name}); err != nil || name == "" {
		writeError(w, response.BadInput(fmt.Errorf("target is required and must be a configured expvar target: expvar-vars?target=NAME")))
		return
	}
	d.expvar.Start(r.Context())
	d.expvar.WaitFirstPoll(r.Context(), name)
	vars, st, _ := d.expvar.Latest(name)
	if n, ok := goexpvar.StatusNotice(name, st, time.Now()); ok {
		// Down or not polled yet: say so, rather than an empty list.
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"error": n.Text})
		return
	}
	type variable struct {
		Path  string   `json:"path"`
		Kind  string   `json:"kind"`
		Value *float64 `json:"value,omitempty"`
		Text  string   `json:"text,omitempty"`
	}
	out := make([]variable, 0, len(vars))
	for _, v := range vars {
		item := variable{Path: v.Path.String(), Kind: v.Kind.String(), Text: v.Str}
		if v.Numeric() {
			n := v.Num
			item.Value = &n
		}
		out = append(out, item)
	}
	writeJSON(w, http.StatusOK, out)
}

// expvarSuggestions answers expvar-suggestions[?target=NAME...]: the paths of the latest
// documents of the targets (all without a target), arrays folded to [*], grouped by
// top-level variable with the services' own first (goexpvar.Suggest), for the editor.
func (d *Datasource) expvarSuggestions(w http.ResponseWriter, r *http.Request) {
	if d.expvar == nil {
		writeError(w, response.BadInput(goexpvar.ErrNoTargets))
		return
	}
	d.expvar.Start(r.Context())
	targets, err := goexpvar.SelectTargets(d.expvar.Targets(), r.URL.Query()["target"])
	if err != nil {
		writeError(w, response.BadInput(err))
		return
	}
	names := make([]string, len(targets))
	for i, t := range targets {
		names[i] = t.Name
	}
	d.expvar.WaitFirstPoll(r.Context(), names...)
	docs := make([][]goexpvar.Var, 0, len(names))
	for _, n := range names {
		vars, _, _ := d.expvar.Latest(n)
		docs = append(docs, vars)
	}
	writeJSON(w, http.StatusOK, goexpvar.Suggest(docs...))
}
