package plugin

import (
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gopulse/health/pkg/telemetry"
)

// cacheEntries bounds the resource cache of one instance.
const cacheEntries = 512

// ttlCache keeps resource answers for a short time. It is bounded: when full, expired
// entries go first, then everything (the cache only spares Prometheus repeated lookups).
type ttlCache struct {
	mu           sync.Mutex
	ttl          time.Duration
	entries      map[string]cacheEntry
	hits, misses prometheus.Counter
}

type cacheEntry struct {
	a       answer
	expires time.Time
}

func newTTLCache(ttl time.Duration, m *telemetry.Metrics) *ttlCache {
	c := &ttlCache{ttl: ttl, entries: make(map[string]cacheEntry)}
	c.hits, c.misses = m.Cache()
	return c
}

func (c *ttlCache) get(key string) (answer, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[key]
	if !ok || time.Now().After(e.expires) {
		c.misses.Inc()
		return answer{}, false
	}
	c.hits.Inc()
	return e.a, true
}

func (c *ttlCache) put(key string, a answer) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := time.Now()
	if len(c.entries) >= cacheEntries {
		for k, e := range c.entries {
			if now.After(e.expires) {
				delete(c.entries, k)
			}
		}
		if len(c.entries) >= cacheEntries {
			clear(c.entries)
		}
	}
	c.entries[key] = cacheEntry{a: a, expires: now.Add(c.ttl)}
}
