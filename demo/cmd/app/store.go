package main

import "time"

// ttlMap is a map whose entries expire ttl after they were put, and which holds at most
// max entries (putting into a full map drops the oldest). Not safe for concurrent use.
type ttlMap[V any] struct {
	ttl  time.Duration
	max  int
	m    map[string]ttlEntry[V]
	keys []string // in put order; may still hold deleted keys
}

type ttlEntry[V any] struct {
	v       V
	expires time.Time
}

func newTTLMap[V any](ttl time.Duration, max int) *ttlMap[V] {
	return &ttlMap[V]{ttl: ttl, max: max, m: make(map[string]ttlEntry[V])}
}

func (t *ttlMap[V]) put(now time.Time, k string, v V) {
	t.prune(now)
	for len(t.m) >= t.max {
		delete(t.m, t.keys[0])
		t.keys = t.keys[1:]
	}
	t.m[k] = ttlEntry[V]{v: v, expires: now.Add(t.ttl)}
	t.keys = append(t.keys, k)
}

func (t *ttlMap[V]) get(now time.Time, k string) (V, bool) {
	e, ok := t.m[k]
	if !ok || !now.Before(e.expires) {
		var zero V
		return zero, false
	}
	return e.v, true
}

func (t *ttlMap[V]) delete(k string) { delete(t.m, k) }

func (t *ttlMap[V]) len(now time.Time) int {
	t.prune(now)
	return len(t.m)
}

func (t *ttlMap[V]) each(now time.Time, f func(V)) {
	t.prune(now)
	for _, e := range t.m {
		f(e.v)
	}
}

// prune drops the expired entries and the deleted keys at the front of keys. Entries
// expire in put order, so it stops at the first live one.
func (t *ttlMap[V]) prune(now time.Time) {
	for len(t.keys) > 0 {
		e, ok := t.m[t.keys[0]]
		if ok && now.Before(e.expires) {
			return
		}
		delete(t.m, t.keys[0])
		t.keys = t.keys[1:]
	}
}
