package plugin

import (
	"sync"
	"time"
)

// cacheEntries bounds the resource cache of one instance.
const cacheEntries = 512

// ttlCache keeps resource answers for a short time. It is bounded: when full, expired
// entries go first, then everything (the cache only spares Prometheus repeated lookups).
type ttlCache struct {
	mu      sync.Mutex
	ttl     time.Duration
	entries map[string]cacheEntry
}

type cacheEntry struct {
	a       answer
	expires time.Time
}

func newTTLCache(ttl time.Duration) *ttlCache {
	return &ttlCache{ttl: ttl, entries: make(map[string]cacheEntry)}
}

func (c *ttlCache) get(key string) (answer, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[key]
	if !ok || time.Now().After(e.expires) {
		return answer{}, false
	}
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
