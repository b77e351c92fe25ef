package main

import (
	"crypto/rand"
	"encoding/json"
	"expvar"
	"fmt"
	"math"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// App is the mini-program backend. It is an http.Handler.
type App struct {
	opts    options
	metrics *metrics
	mux     *http.ServeMux
	leaked  atomic.Int64 // goroutines leaked by leak mode

	mu        sync.Mutex
	mode      mode
	leak      *leaker         // non-nil in leak mode
	sessions  *ttlMap[string] // token → user
	orders    *ttlMap[order]  // order id → unpaid order
	lastOrder int
}

type item struct {
	ID    string  `json:"id"`
	Name  string  `json:"name"`
	Price float64 `json:"price"` // yuan
}

var catalog = []item{
	{"sku-1", "Oolong tea", 28},
	{"sku-2", "Jasmine tea", 22.5},
	{"sku-3", "Milk tea", 15},
	{"sku-4", "Bubble tea", 18},
	{"sku-5", "Green tea cake", 12.8},
	{"sku-6", "Mooncake box", 88},
	{"sku-7", "Tea cup", 39.9},
	{"sku-8", "Tea pot", 129},
	{"sku-9", "Gift card", 100},
	{"sku-10", "Thermos", 59},
}

type orderLine struct {
	ID  string `json:"id"`
	Qty int    `json:"qty"`
}

type order struct {
	user   string
	items  int
	amount float64
}

// event is a tracked front-end event. Each field is checked against an allow-list, so
// the labels of demo_events_total stay bounded. Other fields (a user id, ...) are ignored.
type event struct {
	EventType string `json:"event_type"`
	Page      string `json:"page"`
	ElementID string `json:"element_id"`
}

var (
	eventTypes = []string{"page_view", "click", "add_to_cart", "share", "search"}
	pages      = []string{"home", "item_list", "item_detail", "cart", "checkout", "profile"}
	elementIDs = []string{"none", "banner", "item_card", "buy_button", "add_to_cart_button",
		"pay_button", "share_button", "search_box", "tab_bar"}
)

const (
	sessionTTL  = 30 * time.Minute
	maxSessions = 10_000
	orderTTL    = 15 * time.Minute
	maxOrders   = 10_000
)

var userName = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,32}$`)

func newApp(opts options) *App {
	a := &App{
		opts:     opts,
		mux:      http.NewServeMux(),
		mode:     modeNormal,
		sessions: newTTLMap[string](sessionTTL, maxSessions),
		orders:   newTTLMap[order](orderTTL, maxOrders),
	}
	a.metrics = newMetrics(gauges{
		activeSessions:   a.activeSessions,
		cartItems:        a.cartItems,
		leakedGoroutines: func() float64 { return float64(a.leaked.Load()) },
	})
	a.metrics.setMode(modeNormal)

	routes := []struct {
		method, path string
		h            http.HandlerFunc
	}{
		{http.MethodPost, "/api/login", a.login},
		{http.MethodGet, "/api/items", a.listItems},
		{http.MethodGet, "/api/items/{id}", a.getItem},
		{http.MethodPost, "/api/orders", a.createOrder},
		{http.MethodPost, "/api/pay", a.pay},
		{http.MethodPost, "/api/events", a.trackEvent},
		{http.MethodGet, "/admin/mode", a.getMode},
		{http.MethodPost, "/admin/mode", a.postMode},
	}
	for _, rt := range routes {
		a.mux.Handle(rt.method+" "+rt.path, a.metrics.instrument(rt.method, rt.path, rt.h))
	}
	a.mux.Handle("GET /metrics", promhttp.HandlerFor(a.metrics.reg, promhttp.HandlerOpts{Registry: a.metrics.reg}))
	a.mux.Handle("GET /debug/vars", expvar.Handler())
	return a
}

func (a *App) ServeHTTP(w http.ResponseWriter, r *http.Request) { a.mux.ServeHTTP(w, r) }

// Close releases the goroutines leaked by leak mode.
func (a *App) Close() {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.leak != nil {
		a.leak.release()
		a.leak = nil
	}
}

func (a *App) activeSessions() float64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	return float64(a.sessions.len(time.Now()))
}

func (a *App) cartItems() float64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	n := 0
	a.orders.each(time.Now(), func(o order) { n += o.items })
	return float64(n)
}

// user returns the user of the request's bearer token.
func (a *App) user(r *http.Request) (string, bool) {
	token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		return "", false
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.sessions.get(time.Now(), token)
}

// login: {"user": "...", "password": "..."} → {"token": "..."}. Any password but an empty
// one or "wrong" is accepted.
func (a *App) login(w http.ResponseWriter, r *http.Request) {
	if a.inject(w, r) {
		a.metrics.login("error")
		return
	}
	var body struct {
		User     string `json:"user"`
		Password string `json:"password"`
	}
	if err := decodeJSON(r, &body); err != nil {
		a.metrics.login("failure")
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	if !userName.MatchString(body.User) || body.Password == "" || body.Password == "wrong" {
		a.metrics.login("failure")
		writeError(w, http.StatusUnauthorized, "invalid user or password")
		return
	}
	token := rand.Text()
	a.mu.Lock()
	a.sessions.put(time.Now(), token, body.User)
	a.mu.Unlock()
	a.metrics.login("success")
	writeJSON(w, http.StatusOK, map[string]string{"token": token, "user": body.User})
}

func (a *App) listItems(w http.ResponseWriter, r *http.Request) {
	if a.inject(w, r) {
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": catalog})
}

func (a *App) getItem(w http.ResponseWriter, r *http.Request) {
	if a.inject(w, r) {
		return
	}
	id := r.PathValue("id")
	i := slices.IndexFunc(catalog, func(it item) bool { return it.ID == id })
	if i < 0 {
		writeError(w, http.StatusNotFound, "no such item")
		return
	}
	writeJSON(w, http.StatusOK, catalog[i])
}

// createOrder: {"items": [{"id": "sku-1", "qty": 2}]} with a bearer token →
// {"order_id": "...", "amount": 56}.
func (a *App) createOrder(w http.ResponseWriter, r *http.Request) {
	if a.inject(w, r) {
		a.metrics.order("error")
		return
	}
	user, ok := a.user(r)
	if !ok {
		a.metrics.order("rejected")
		writeError(w, http.StatusUnauthorized, "login required")
		return
	}
	var body struct {
		Items []orderLine `json:"items"`
	}
	if err := decodeJSON(r, &body); err != nil {
		a.metrics.order("rejected")
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	o, err := priceOrder(user, body.Items)
	if err != nil {
		a.metrics.order("rejected")
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	a.mu.Lock()
	a.lastOrder++
	id := "o-" + strconv.Itoa(a.lastOrder)
	a.orders.put(time.Now(), id, o)
	a.mu.Unlock()
	a.metrics.order("created")
	writeJSON(w, http.StatusCreated, map[string]any{"order_id": id, "amount": o.amount})
}

func priceOrder(user string, lines []orderLine) (order, error) {
	if len(lines) == 0 || len(lines) > 10 {
		return order{}, fmt.Errorf("an order has 1 to 10 lines, got %d", len(lines))
	}
	o := order{user: user}
	for _, l := range lines {
		i := slices.IndexFunc(catalog, func(it item) bool { return it.ID == l.ID })
		if i < 0 {
			return order{}, fmt.Errorf("unknown item %q", l.ID)
		}
		if l.Qty < 1 || l.Qty > 99 {
			return order{}, fmt.Errorf("quantity of %s must be 1 to 99, got %d", l.ID, l.Qty)
		}
		o.items += l.Qty
		o.amount += float64(l.Qty) * catalog[i].Price
	}
	o.amount = math.Round(o.amount*100) / 100
	return o, nil
}

// pay: {"order_id": "...", "amount": 56} with the bearer token of the order's user. The
// amount must be the order's.
func (a *App) pay(w http.ResponseWriter, r *http.Request) {
	if a.inject(w, r) {
		a.metrics.payment("error", 0)
		return
	}
	user, ok := a.user(r)
	if !ok {
		a.metrics.payment("rejected", 0)
		writeError(w, http.StatusUnauthorized, "login required")
		return
	}
	var body struct {
		OrderID string  `json:"order_id"`
		Amount  float64 `json:"amount"`
	}
	if err := decodeJSON(r, &body); err != nil {
		a.metrics.payment("rejected", 0)
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	a.mu.Lock()
	o, found := a.orders.get(time.Now(), body.OrderID)
	paid := found && o.user == user && math.Abs(o.amount-body.Amount) < 0.005
	if paid {
		a.orders.delete(body.OrderID)
	}
	a.mu.Unlock()
	switch {
	case !found || o.user != user:
		a.metrics.payment("rejected", 0)
		writeError(w, http.StatusNotFound, "no such unpaid order")
	case !paid:
		a.metrics.payment("rejected", 0)
		writeError(w, http.StatusBadRequest, fmt.Sprintf("amount %.2f does not match the order's %.2f", body.Amount, o.amount))
	default:
		a.metrics.payment("paid", o.amount)
		writeJSON(w, http.StatusOK, map[string]any{"order_id": body.OrderID, "status": "paid", "amount": o.amount})
	}
}

// trackEvent: {"event_type": "click", "page": "home", "element_id": "banner"}; an empty
// element_id is "none".
func (a *App) trackEvent(w http.ResponseWriter, r *http.Request) {
	if a.inject(w, r) {
		return
	}
	var e event
	if err := decodeJSON(r, &e); err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	if e.ElementID == "" {
		e.ElementID = "none"
	}
	for _, f := range []struct {
		name, value string
		allowed     []string
	}{
		{"event_type", e.EventType, eventTypes},
		{"page", e.Page, pages},
		{"element_id", e.ElementID, elementIDs},
	} {
		if !slices.Contains(f.allowed, f.value) {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("%s %q is not one of %v", f.name, f.value, f.allowed))
			return
		}
	}
	a.metrics.event(e)
	w.WriteHeader(http.StatusAccepted)
}

func decodeJSON(r *http.Request, v any) error {
	if err := json.NewDecoder(http.MaxBytesReader(nil, r.Body, 64<<10)).Decode(v); err != nil {
		return fmt.Errorf("invalid JSON body: %v", err)
	}
	return nil
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, code, map[string]string{"error": msg})
}
