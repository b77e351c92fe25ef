package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"math/rand/v2"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// generator sends the traffic of simulated mini-program users.
type generator struct {
	target string
	client *http.Client
	stats  stats
}

// stats count the answers the app gave.
type stats struct {
	sent, ok, clientErrors, serverErrors, failed atomic.Int64
}

func (s *stats) record(code int, err error) {
	s.sent.Add(1)
	switch {
	case err != nil:
		s.failed.Add(1)
	case code >= 500:
		s.serverErrors.Add(1)
	case code >= 400:
		s.clientErrors.Add(1)
	default:
		s.ok.Add(1)
	}
}

func (s *stats) snapshot() map[string]int64 {
	return map[string]int64{
		"sent": s.sent.Load(), "ok": s.ok.Load(), "client_errors": s.clientErrors.Load(),
		"server_errors": s.serverErrors.Load(), "failed": s.failed.Load(),
	}
}

// attrs are the snapshot as log attributes, in a stable order.
func (s *stats) attrs() []any {
	snap := s.snapshot()
	var attrs []any
	for _, k := range slices.Sorted(maps.Keys(snap)) {
		attrs = append(attrs, slog.Int64(k, snap[k]))
	}
	return attrs
}

// run paces the requests of workers simulated users at rps until ctx is done. Each
// request takes a token from a ticker; a token that no user is ready for is dropped, so a
// slow app gets fewer requests, never a growing backlog.
func (g *generator) run(ctx context.Context, rps float64, workers int) {
	tokens := make(chan struct{})
	var wg sync.WaitGroup
	for i := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			u := &user{g: g, tokens: tokens, rng: rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), uint64(i)))}
			for ctx.Err() == nil {
				u.journey(ctx)
			}
		}()
	}
	tick := time.NewTicker(time.Duration(float64(time.Second) / rps))
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			wg.Wait()
			return
		case <-tick.C:
			select {
			case tokens <- struct{}{}:
			default:
			}
		}
	}
}

// user is one simulated user, going through journeys one after the other.
type user struct {
	g      *generator
	tokens <-chan struct{}
	rng    *rand.Rand
}

type orderLine struct {
	ID  string `json:"id"`
	Qty int    `json:"qty"`
}

// journey: log in, look at the home page, browse the item list and a few items, put some
// in the cart, order, and (mostly) pay, tracking events along the way. One login in 20
// uses a wrong password, one item view in 50 follows a stale link, one order in 10 is
// abandoned.
func (u *user) journey(ctx context.Context) {
	password := "secret"
	if u.rng.IntN(20) == 0 {
		password = "wrong"
	}
	var session struct {
		Token string `json:"token"`
	}
	if !u.do(ctx, http.MethodPost, "/api/login", "", map[string]string{
		"user": fmt.Sprintf("user-%d", u.rng.IntN(1000)), "password": password,
	}, &session) {
		return
	}
	u.event(ctx, "page_view", "home", "none")
	if u.rng.IntN(4) == 0 {
		u.event(ctx, "click", "home", "banner")
	}

	var list struct {
		Items []struct {
			ID string `json:"id"`
		} `json:"items"`
	}
	if !u.do(ctx, http.MethodGet, "/api/items", "", nil, &list) || len(list.Items) == 0 {
		return
	}
	u.event(ctx, "page_view", "item_list", "none")
	if u.rng.IntN(5) == 0 {
		u.event(ctx, "search", "item_list", "search_box")
	}
	var cart []orderLine
	for range 1 + u.rng.IntN(3) {
		id := list.Items[u.rng.IntN(len(list.Items))].ID
		if u.rng.IntN(50) == 0 {
			id = "sku-0"
		}
		u.event(ctx, "click", "item_list", "item_card")
		if !u.do(ctx, http.MethodGet, "/api/items/"+id, "", nil, nil) {
			continue
		}
		u.event(ctx, "page_view", "item_detail", "none")
		if u.rng.IntN(10) == 0 {
			u.event(ctx, "share", "item_detail", "share_button")
		}
		if u.rng.IntN(10) < 6 {
			cart = append(cart, orderLine{ID: id, Qty: 1 + u.rng.IntN(3)})
			u.event(ctx, "add_to_cart", "item_detail", "add_to_cart_button")
		}
	}
	if len(cart) == 0 {
		return
	}

	u.event(ctx, "page_view", "cart", "none")
	var order struct {
		OrderID string  `json:"order_id"`
		Amount  float64 `json:"amount"`
	}
	if !u.do(ctx, http.MethodPost, "/api/orders", session.Token, map[string]any{"items": cart}, &order) {
		return
	}
	if u.rng.IntN(10) == 0 {
		return
	}
	u.event(ctx, "page_view", "checkout", "none")
	u.event(ctx, "click", "checkout", "pay_button")
	u.do(ctx, http.MethodPost, "/api/pay", session.Token, map[string]any{"order_id": order.OrderID, "amount": order.Amount}, nil)
}

func (u *user) event(ctx context.Context, eventType, page, element string) {
	u.do(ctx, http.MethodPost, "/api/events", "", map[string]string{
		"event_type": eventType, "page": page, "element_id": element,
	}, nil)
}

// do waits for a token, sends one request and decodes a 2xx JSON answer into out (when
// not nil). It reports whether the app answered 2xx.
func (u *user) do(ctx context.Context, method, path, token string, body, out any) bool {
	select {
	case <-u.tokens:
	case <-ctx.Done():
		return false
	}
	var rd io.Reader
	if body != nil {
		js, err := json.Marshal(body)
		if err != nil {
			u.g.stats.record(0, err)
			return false
		}
		rd = bytes.NewReader(js)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.g.target+path, rd)
	if err != nil {
		u.g.stats.record(0, err)
		return false
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := u.g.client.Do(req)
	if err != nil {
		if ctx.Err() == nil {
			u.g.stats.record(0, err)
		}
		return false
	}
	defer res.Body.Close()
	u.g.stats.record(res.StatusCode, nil)
	ok := res.StatusCode >= 200 && res.StatusCode < 300
	if ok && out != nil {
		ok = json.NewDecoder(io.LimitReader(res.Body, 1<<20)).Decode(out) == nil
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 1<<20))
	return ok
}
