package goexpvar

import (
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend/log"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/gopulse/health/pkg/upstream"
)

// Target is one expvar endpoint a data source polls: a name users pick it by, its URL
// (set by an administrator, never by a query), the instance and job labels it answers
// for, its credentials and where it publishes runtime signals that are not at their
// usual path.
type Target struct {
	Name     string `json:"name"`
	URL      string `json:"url"`
	Instance string `json:"instance,omitempty"`
	// Job is the job the target belongs to: the Prometheus job it was discovered in, or
	// the one configured for it ("" answers no query scoped to a job).
	Job string `json:"job,omitempty"`
	// Paths map runtime signal ids to the target's own expvar paths ("goroutines":
	// "app.NumGoroutine"); they win over the data source's mapping.
	Paths map[string]string `json:"paths,omitempty"`
	// BasicAuthUser is the basic auth user; the password is in Auth (secureJsonData).
	BasicAuthUser string `json:"basicAuthUser,omitempty"`
	// Auth are the target's secrets: never marshalled, sent to this target only.
	Auth Auth `json:"-"`
}

// Auth are a target's credentials: basic auth (with Target.BasicAuthUser), a bearer
// token, or headers. They travel to the target only.
type Auth struct {
	Password string
	Token    string
	Headers  map[string]string
}

// HasCredentials tells whether requests to the target carry credentials.
func (t Target) HasCredentials() bool {
	return t.BasicAuthUser != "" || t.Auth.Token != "" || len(t.Auth.Headers) > 0
}

// Status is what the last polls of a target tell: it is the expvar `up` signal.
type Status struct {
	Target       string        `json:"target"`
	Instance     string        `json:"instance"`
	Job          string        `json:"job,omitempty"`
	Host         string        `json:"host"`
	Up           bool          `json:"up"`
	LastError    string        `json:"lastError,omitempty"`
	LastDuration time.Duration `json:"lastDurationNs"`
	LastPoll     time.Time     `json:"lastPoll"`
	LastSuccess  time.Time     `json:"lastSuccess"`
	Vars         int           `json:"vars"`
	// Failures counts the polls failed in a row; a failing target is polled less often
	// (the interval doubled per failure, at most maxBackoff), from NextPoll on.
	Failures int       `json:"failures"`
	NextPoll time.Time `json:"nextPoll"`
}

// maxBackoff is the longest wait between polls of a failing target.
const maxBackoff = 5 * time.Minute

// PollerOptions tune a poller.
type PollerOptions struct {
	Interval    time.Duration // default 10 s
	Timeout     time.Duration // per target, default 5 s
	Concurrency int           // targets polled at once, default 8
	Limits      Limits        // bounds of one document
	History     HistoryOptions
	// Discover, when set, finds more targets before every sweep (Prometheus's active
	// targets of chosen jobs); a failing discovery keeps the targets found before.
	Discover func(context.Context) ([]Target, error)
	// Logger is told when a target goes down or comes back, when discovery starts or
	// stops failing and when the history starts dropping samples to stay within its
	// memory cap: once per change, not once per poll. Default: no logging.
	Logger log.Logger
	// Metrics receive the targets up and down, every poll's duration, the history's
	// bytes and the samples it dropped. Nil fields record nothing.
	Metrics Metrics
}

// Metrics receive what a poller measures.
type Metrics struct {
	TargetsUp, TargetsDown       prometheus.Gauge
	PollDuration                 prometheus.Observer
	HistoryBytes                 prometheus.Gauge
	DroppedCap, DroppedRetention prometheus.Counter
}

// withDefaults fills the nil fields with metrics that are not registered anywhere.
func (m Metrics) withDefaults() Metrics {
	gauge := func(g prometheus.Gauge) prometheus.Gauge {
		if g == nil {
			return prometheus.NewGauge(prometheus.GaugeOpts{Name: "unused"})
		}
		return g
	}
	counter := func(c prometheus.Counter) prometheus.Counter {
		if c == nil {
			return prometheus.NewCounter(prometheus.CounterOpts{Name: "unused"})
		}
		return c
	}
	m.TargetsUp, m.TargetsDown, m.HistoryBytes = gauge(m.TargetsUp), gauge(m.TargetsDown), gauge(m.HistoryBytes)
	m.DroppedCap, m.DroppedRetention = counter(m.DroppedCap), counter(m.DroppedRetention)
	if m.PollDuration == nil {
		m.PollDuration = prometheus.NewHistogram(prometheus.HistogramOpts{Name: "unused"})
	}
	return m
}

// Poller polls a data source's expvar targets in the background, keeps each target's
// latest variables and status, and appends every numeric value to the history. It is
// started on first use and stopped when the data source instance is disposed.
type Poller struct {
	static []Target
	hc     *http.Client
	opts   PollerOptions
	hist   *History

	mu           sync.RWMutex
	targets      []Target // static, then discovered
	discoveryErr error
	latest       map[string][]Var
	status       map[string]Status
	// dropped are the history's drop counters at the end of the last sweep; capDropping
	// tells that the last sweep dropped samples for the memory cap.
	dropped     HistoryStats
	capDropping bool

	runners map[string]*runner // the polling loop of every target, once started
	sem     chan struct{}      // bounds the polls running at once

	startOnce sync.Once
	cancel    context.CancelFunc // stops the loops; set by Start
	wg        sync.WaitGroup     // the loops
	done      chan struct{}      // closed when the loops have ended (or never started)
}

// NewPoller makes a poller for targets, polling through hc.
func NewPoller(targets []Target, hc *http.Client, opts PollerOptions) *Poller {
	if opts.Interval <= 0 {
		opts.Interval = 10 * time.Second
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 5 * time.Second
	}
	if opts.Concurrency <= 0 {
		opts.Concurrency = 8
	}
	opts.Limits = opts.Limits.WithDefaults()
	if opts.Logger == nil {
		opts.Logger = log.NewNullLogger()
	}
	opts.Metrics = opts.Metrics.withDefaults()
	p := &Poller{
		static: targets, targets: targets, hc: hc, opts: opts, hist: NewHistory(opts.History),
		latest: map[string][]Var{}, status: map[string]Status{},
		runners: map[string]*runner{}, sem: make(chan struct{}, opts.Concurrency),
		done: make(chan struct{}),
	}
	for _, t := range targets {
		p.status[t.Name] = Status{Target: t.Name, Instance: t.Instance, Job: t.Job, Host: hostOf(t.URL)}
	}
	return p
}

// Targets are the poller's targets: the configured ones in order, then the discovered.
func (p *Poller) Targets() []Target {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return p.targets
}

// DiscoveryError is the error of the last discovery, or nil.
func (p *Poller) DiscoveryError() error {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return p.discoveryErr
}

// discover refreshes the discovered targets; names already configured win, and the
// state of targets that are gone is dropped.
func (p *Poller) discover(ctx context.Context) {
	found, err := p.opts.Discover(ctx)
	p.mu.Lock()
	defer p.mu.Unlock()
	switch l := p.opts.Logger.FromContext(ctx); {
	case err != nil && p.discoveryErr == nil:
		l.Warn("expvar discovery failed: keeping the targets found before", "error", err)
	case err == nil && p.discoveryErr != nil:
		l.Info("expvar discovery works again", "targets", len(found))
	}
	p.discoveryErr = err
	if err != nil {
		return
	}
	targets := slices.Clone(p.static)
	names := map[string]bool{}
	for _, t := range targets {
		names[t.Name] = true
	}
	for _, t := range found {
		if !names[t.Name] {
			names[t.Name] = true
			targets = append(targets, t)
		}
	}
	for name := range p.status {
		if !names[name] {
			delete(p.status, name)
			delete(p.latest, name)
		}
	}
	for _, t := range targets {
		if _, ok := p.status[t.Name]; !ok {
			p.status[t.Name] = Status{Target: t.Name, Instance: t.Instance, Job: t.Job, Host: hostOf(t.URL)}
		}
	}
	p.targets = targets
}

// History is the poller's history of numeric values.
func (p *Poller) History() *History { return p.hist }

// firstPollWait bounds how long a query waits for the first poll of the targets it
// reads; after it, the query answers from what is known, with a notice.
const firstPollWait = 2 * time.Second

// Start starts polling (once) and returns at once: every target is polled on its own
// schedule (a first poll now, then every interval, or later while it fails), so that a
// slow or hung target delays no other. With discovery, a first discovery runs before
// Start returns (bounded by the timeout) and then one every interval.
func (p *Poller) Start(ctx context.Context) {
	p.startOnce.Do(func() {
		loopCtx, cancel := context.WithCancel(context.Background())
		p.cancel = cancel
		if p.opts.Discover != nil {
			dctx, dcancel := context.WithTimeout(ctx, p.opts.Timeout)
			p.discover(dctx)
			dcancel()
		}
		p.reconcile(loopCtx)
		p.wg.Go(func() { p.discoverLoop(loopCtx) })
		go func() {
			<-loopCtx.Done()
			p.wg.Wait()
			close(p.done)
		}()
	})
}

// Stop stops polling and waits for the poller's goroutines to end. It is safe to call
// more than once, and before Start (which then never starts).
func (p *Poller) Stop() {
	p.startOnce.Do(func() { close(p.done) })
	if p.cancel != nil {
		p.cancel()
	}
	<-p.done
}

// discoverLoop refreshes the discovered targets every interval, and starts or stops
// their pollers.
func (p *Poller) discoverLoop(ctx context.Context) {
	if p.opts.Discover == nil {
		return
	}
	tick := time.NewTicker(p.opts.Interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			dctx, cancel := context.WithTimeout(ctx, p.opts.Timeout)
			p.discover(dctx)
			cancel()
			p.reconcile(ctx)
		}
	}
}

// runner is the polling loop of one target.
type runner struct {
	target Target
	stop   context.CancelFunc
	first  chan struct{} // closed when the first poll has ended
}

// reconcile starts a polling loop for every target without one, and stops the loops of
// targets that are gone (or whose URL changed).
func (p *Poller) reconcile(ctx context.Context) {
	p.mu.Lock()
	defer p.mu.Unlock()
	want := map[string]Target{}
	for _, t := range p.targets {
		want[t.Name] = t
	}
	for name, r := range p.runners {
		if t, ok := want[name]; !ok || t.URL != r.target.URL {
			r.stop()
			delete(p.runners, name)
		}
	}
	for _, t := range p.targets {
		if _, ok := p.runners[t.Name]; ok {
			continue
		}
		rctx, stop := context.WithCancel(ctx)
		r := &runner{target: t, stop: stop, first: make(chan struct{})}
		p.runners[t.Name] = r
		p.wg.Go(func() { p.run(rctx, r) })
	}
}

// run polls one target: now, then at every multiple of the interval from now (a poll
// that took longer skips the slots it overran), or at its back-off time while it fails.
func (p *Poller) run(ctx context.Context, r *runner) {
	next := time.Now()
	timer := time.NewTimer(0)
	defer timer.Stop()
	<-timer.C
	for first := true; ; first = false {
		select {
		case p.sem <- struct{}{}:
		case <-ctx.Done():
			return
		}
		p.poll(ctx, r.target)
		<-p.sem
		p.record(ctx)
		if first {
			close(r.first)
		}
		now := time.Now()
		for !next.After(now) {
			next = next.Add(p.opts.Interval)
		}
		p.mu.RLock()
		if np := p.status[r.target.Name].NextPoll; np.After(next) {
			next = np
		}
		p.mu.RUnlock()
		timer.Reset(time.Until(next))
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		}
	}
}

// WaitFirstPoll waits until the named targets (every target, with no names) have been
// polled once, at most firstPollWait, or until ctx ends. It tells nothing: a query then
// reads what is known, and Polling says which targets are still in their first poll.
func (p *Poller) WaitFirstPoll(ctx context.Context, names ...string) {
	p.mu.RLock()
	var waits []chan struct{}
	for name, r := range p.runners {
		if len(names) == 0 || slices.Contains(names, name) {
			waits = append(waits, r.first)
		}
	}
	p.mu.RUnlock()
	timer := time.NewTimer(firstPollWait)
	defer timer.Stop()
	for _, w := range waits {
		select {
		case <-w:
		case <-timer.C:
			return
		case <-ctx.Done():
			return
		}
	}
}

// Sweep polls every target once now, at most Concurrency at a time, and returns when
// all are done (after a discovery, when configured). Polling loops started by Start
// keep their own schedules.
func (p *Poller) Sweep(ctx context.Context) {
	if p.opts.Discover != nil {
		p.discover(ctx)
	}
	eachTarget(p.Targets(), p.sem, func(_ int, t Target) { p.poll(ctx, t) })
	p.record(ctx)
}

// eachTarget calls fn for every target, at most cap(sem) at a time, and returns when all
// calls have returned.
func eachTarget(targets []Target, sem chan struct{}, fn func(int, Target)) {
	var wg sync.WaitGroup
	for i, t := range targets {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			fn(i, t)
		})
	}
	wg.Wait()
}

// record updates the metrics after a sweep, and logs when the history starts dropping
// samples to stay within its memory cap (and not again while it keeps doing so).
func (p *Poller) record(ctx context.Context) {
	up, down := 0, 0
	for _, st := range p.Statuses() {
		if st.Up {
			up++
		} else {
			down++
		}
	}
	m := p.opts.Metrics
	m.TargetsUp.Set(float64(up))
	m.TargetsDown.Set(float64(down))
	hs := p.hist.Stats()
	m.HistoryBytes.Set(float64(hs.Bytes))
	p.mu.Lock()
	last, wasDropping := p.dropped, p.capDropping
	dropping := hs.DroppedCap > last.DroppedCap
	p.dropped, p.capDropping = hs, dropping
	p.mu.Unlock()
	m.DroppedRetention.Add(float64(hs.DroppedRetention - last.DroppedRetention))
	m.DroppedCap.Add(float64(hs.DroppedCap - last.DroppedCap))
	if dropping && !wasDropping {
		p.opts.Logger.FromContext(ctx).Warn("expvar history at its memory cap: the oldest samples are dropped (raise expvarHistoryBytes or lower expvarRetention)",
			"max_bytes", hs.MaxBytes, "dropped_samples", hs.DroppedCap-last.DroppedCap)
	}
}

// poll fetches and flattens one target's document.
func (p *Poller) poll(ctx context.Context, t Target) {
	ctx, cancel := context.WithTimeout(ctx, p.opts.Timeout)
	defer cancel()
	start := time.Now()
	vars, err := p.fetch(ctx, t)
	took := time.Since(start)
	p.opts.Metrics.PollDuration.Observe(took.Seconds())
	p.mu.Lock()
	defer p.mu.Unlock()
	st, ok := p.status[t.Name]
	if !ok {
		return // no longer a target
	}
	first, wasUp := st.LastPoll.IsZero(), st.Up
	st.LastPoll, st.LastDuration = start.UTC(), took
	l := p.opts.Logger.FromContext(ctx)
	if err != nil {
		if first || wasUp {
			l.Warn("expvar target down", "target", t.Name, "host", st.Host, "error", err)
		}
		if wasUp {
			// A break in every series of the target: history shows the outage as a gap.
			for _, v := range p.latest[t.Name] {
				if v.Numeric() {
					_ = p.hist.Append(SeriesKey{Target: t.Name, Path: v.Path.String()}, start, math.NaN())
				}
			}
		}
		st.Up, st.LastError = false, err.Error()
		st.Failures++
		wait := p.opts.Interval << min(st.Failures-1, 16)
		st.NextPoll = start.Add(min(wait, maxBackoff)).UTC()
		p.status[t.Name] = st
		return
	}
	if !first && !wasUp {
		l.Info("expvar target up again", "target", t.Name, "host", st.Host, "failed_polls", st.Failures)
	}
	st.Up, st.LastError, st.LastSuccess, st.Vars = true, "", start.UTC(), len(vars)
	st.Failures, st.NextPoll = 0, time.Time{}
	p.status[t.Name] = st
	p.latest[t.Name] = vars
	for _, v := range vars {
		if v.Numeric() {
			_ = p.hist.Append(SeriesKey{Target: t.Name, Path: v.Path.String()}, start, v.Num)
		}
	}
}

func (p *Poller) fetch(ctx context.Context, t Target) ([]Var, error) {
	service := "expvar target " + t.Name
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, t.URL, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	for k, v := range t.Auth.Headers {
		req.Header.Set(k, v)
	}
	if t.Auth.Token != "" {
		req.Header.Set("Authorization", "Bearer "+t.Auth.Token)
	}
	if t.BasicAuthUser != "" {
		req.SetBasicAuth(t.BasicAuthUser, t.Auth.Password)
	}
	resp, err := p.hc.Do(req)
	if err != nil {
		return nil, upstream.Transport(service, hostOf(t.URL), err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		excerpt, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return nil, statusError(service, t, resp.StatusCode, req.URL.Path, excerpt)
	}
	vars, err := Flatten(resp.Body, p.opts.Limits)
	if err != nil {
		return nil, upstream.Errorf(service, http.StatusBadGateway, "%s: %s", hostOf(t.URL), err)
	}
	return vars, nil
}

// statusError explains an answer other than 200 from a target, with advice that fits
// expvar targets (the URL is the endpoint itself; credentials are the target's own).
func statusError(service string, t Target, code int, path string, body []byte) error {
	creds := "the target has no credentials configured: add basic auth, a bearer token or headers to it in the data source's expvar targets"
	if t.HasCredentials() {
		creds = "check the target's credentials in the data source's expvar targets"
	}
	switch code {
	case http.StatusUnauthorized:
		return upstream.Errorf(service, code, "authentication failed (401 Unauthorized): %s", creds)
	case http.StatusForbidden:
		return upstream.Errorf(service, code, "access denied (403 Forbidden) to %s: %s", path, creds)
	case http.StatusNotFound:
		return upstream.Errorf(service, code, "%s not found (404): the target URL must be the expvar endpoint itself (usually /debug/vars), and the service must publish it (import _ \"expvar\" and serve http.DefaultServeMux)", path)
	}
	return upstream.Status(service, code, path, body)
}

// Latest returns a target's variables from its last successful poll, and its status.
func (p *Poller) Latest(target string) ([]Var, Status, bool) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	st, ok := p.status[target]
	return p.latest[target], st, ok
}

// Statuses returns every target's status, in the configured order.
func (p *Poller) Statuses() []Status {
	p.mu.RLock()
	defer p.mu.RUnlock()
	out := make([]Status, 0, len(p.targets))
	for _, t := range p.targets {
		out = append(out, p.status[t.Name])
	}
	return out
}

func hostOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Sprintf("%q", raw)
	}
	return u.Host
}

// Check is the result of polling one target on demand (Save & test).
type Check struct {
	Target   string        `json:"target"`
	Host     string        `json:"host"`
	OK       bool          `json:"ok"`
	Vars     int           `json:"vars"`
	Error    string        `json:"error,omitempty"`
	Duration time.Duration `json:"durationNs"`
}

// Check polls every target once now, at most Concurrency at a time, without touching the
// polling state: each answers (a JSON document of Vars variables) or says why not.
func (p *Poller) Check(ctx context.Context) []Check {
	targets := p.Targets()
	out := make([]Check, len(targets))
	eachTarget(targets, make(chan struct{}, p.opts.Concurrency), func(i int, t Target) {
		ctx, cancel := context.WithTimeout(ctx, p.opts.Timeout)
		defer cancel()
		start := time.Now()
		vars, err := p.fetch(ctx, t)
		c := Check{Target: t.Name, Host: hostOf(t.URL), OK: err == nil, Vars: len(vars), Duration: time.Since(start)}
		if err != nil {
			c.Error = err.Error()
		}
		out[i] = c
	})
	return out
}
