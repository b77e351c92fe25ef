package upstream

import (
	"context"
	"sync"
	"time"
)

// Outcome says where a value given by Cache.Do came from.
type Outcome int

const (
	// Miss: the call ran for this caller.
	Miss Outcome = iota
	// Hit: the value was kept from an earlier call.
	Hit
	// Shared: the caller joined a call for the same key already in flight.
	Shared
)

// Counter counts (a prometheus.Counter).
type Counter interface{ Inc() }

// Cache keeps values for a short time, bounded in bytes, and makes concurrent calls for
// the same key share one: a caller asking for a key that another caller is computing waits
// for that result instead of computing it again. The zero value is not usable: see
// NewCache.
type Cache[V any] struct {
	maxBytes int64
	size     func(V) int64
	// Counts of the outcomes, when set.
	Hits, Shares, Misses Counter

	mu      sync.Mutex
	entries map[string]*entry[V]
	order   []*entry[V] // kept entries, oldest first: evicted in this order
	bytes   int64
	calls   map[string]*call[V]
	now     func() time.Time
}

type entry[V any] struct {
	key     string
	v       V
	size    int64
	expires time.Time
	gone    bool
}

type call[V any] struct {
	done    chan struct{}
	v       V
	err     error
	waiters int
	cancel  context.CancelFunc
}

// NewCache makes a cache that keeps at most maxBytes of values as measured by size (0
// keeps nothing: calls are still shared while in flight). A value larger than an eighth
// of maxBytes is not kept, so that one large answer does not empty the cache.
func NewCache[V any](maxBytes int64, size func(V) int64) *Cache[V] {
	return &Cache[V]{maxBytes: maxBytes, size: size, entries: map[string]*entry[V]{}, calls: map[string]*call[V]{}, now: time.Now}
}

// Do returns the value for key: kept from an earlier call while fresh, else the result
// of a call for key in flight, else the result of fn. fn runs with a context that keeps
// ctx's values but is cancelled only when every caller waiting for it has gone (their
// own ctx done), so that one viewer leaving does not fail the others. The value fn
// returns is kept until the time it returns with it (the zero time or a past one: not
// kept); errors are shared with the callers waiting at the time, never kept.
func (c *Cache[V]) Do(ctx context.Context, key string, fn func(context.Context) (V, time.Time, error)) (V, Outcome, error) {
	c.mu.Lock()
	if e, ok := c.entries[key]; ok {
		if c.now().Before(e.expires) {
			c.mu.Unlock()
			inc(c.Hits)
			return e.v, Hit, nil
		}
		c.drop(e)
	}
	outcome := Shared
	cl, ok := c.calls[key]
	if !ok {
		outcome = Miss
		callCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
		cl = &call[V]{done: make(chan struct{}), cancel: cancel}
		c.calls[key] = cl
		go c.run(callCtx, key, cl, fn)
	}
	cl.waiters++
	c.mu.Unlock()
	if outcome == Miss {
		inc(c.Misses)
	} else {
		inc(c.Shares)
	}
	select {
	case <-cl.done:
		return cl.v, outcome, cl.err
	case <-ctx.Done():
		c.mu.Lock()
		if cl.waiters--; cl.waiters == 0 {
			cl.cancel()
		}
		c.mu.Unlock()
		var zero V
		return zero, outcome, ctx.Err()
	}
}

func (c *Cache[V]) run(ctx context.Context, key string, cl *call[V], fn func(context.Context) (V, time.Time, error)) {
	defer cl.cancel()
	v, expires, err := fn(ctx)
	c.mu.Lock()
	delete(c.calls, key)
	cl.v, cl.err = v, err
	if err == nil && c.now().Before(expires) {
		c.keep(key, v, expires)
	}
	c.mu.Unlock()
	close(cl.done)
}

// keep stores v, evicting expired entries, then the oldest, to stay within maxBytes.
func (c *Cache[V]) keep(key string, v V, expires time.Time) {
	size := c.size(v)
	if size > c.maxBytes/8 {
		return
	}
	if old, ok := c.entries[key]; ok {
		c.drop(old)
	}
	if c.bytes+size > c.maxBytes {
		now := c.now()
		for _, e := range c.order {
			if !e.expires.After(now) {
				c.drop(e)
			}
		}
		c.compact()
		for c.bytes+size > c.maxBytes && len(c.order) > 0 {
			c.drop(c.order[0])
			c.order = c.order[1:]
		}
	}
	e := &entry[V]{key: key, v: v, size: size, expires: expires}
	c.entries[key] = e
	c.order = append(c.order, e)
	c.bytes += size
	if len(c.order) > 2*len(c.entries)+16 {
		c.compact()
	}
}

// drop forgets e (its place in order is removed by compact).
func (c *Cache[V]) drop(e *entry[V]) {
	if e.gone {
		return
	}
	e.gone = true
	delete(c.entries, e.key)
	c.bytes -= e.size
}

// compact removes dropped entries from order.
func (c *Cache[V]) compact() {
	kept := c.order[:0]
	for _, e := range c.order {
		if !e.gone {
			kept = append(kept, e)
		}
	}
	clear(c.order[len(kept):])
	c.order = kept
}

func inc(c Counter) {
	if c != nil {
		c.Inc()
	}
}
