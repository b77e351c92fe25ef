package prometheus

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/gopulse/health/pkg/jsonscan"
	"github.com/gopulse/health/pkg/query"
	"math"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/grafana/grafana-plugin-sdk-go/data"
	v1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"
)

// ---- references: client_golang's own decoding of the same bodies

// bodyClient is an api.Client that answers every request with the same body (status 200).
type bodyClient []byte

func (c bodyClient) URL(ep string, _ map[string]string) *url.URL {
	return &url.URL{Scheme: "http", Host: "prometheus.invalid", Path: ep}
}

func (c bodyClient) Do(context.Context, *http.Request) (*http.Response, []byte, error) {
	return &http.Response{StatusCode: http.StatusOK, Header: http.Header{"Content-Type": {"application/json"}}}, c, nil
}

// refV1 decodes body with client_golang's v1 API, the path that Decode replaces.
func refV1(body []byte) (*Result, error) {
	v, warnings, infos, err := v1.NewAPI(bodyClient(body)).Query(context.Background(), "q", time.Time{})
	if err != nil {
		return nil, err
	}
	if v == nil {
		return nil, errors.New("no value")
	}
	res, err := fromModel(v)
	if err != nil {
		return nil, err
	}
	res.Warnings, res.Infos = warnings, infos
	return res, nil
}

// refJSON decodes body with encoding/json into client_golang's model types (each type's
// own UnmarshalJSON), the "client_golang" of BenchmarkDecode.
func refJSON(body []byte) (*Result, error) {
	var r struct {
		Status string `json:"status"`
		Data   struct {
			ResultType model.ValueType `json:"resultType"`
			Result     json.RawMessage `json:"result"`
		} `json:"data"`
		ErrorType string   `json:"errorType"`
		Error     string   `json:"error"`
		Warnings  []string `json:"warnings"`
		Infos     []string `json:"infos"`
	}
	if err := json.Unmarshal(body, &r); err != nil {
		return nil, err
	}
	if r.Status == "error" {
		return nil, &APIError{Type: r.ErrorType, Msg: r.Error}
	}
	var v model.Value
	switch r.Data.ResultType {
	case model.ValMatrix:
		var m model.Matrix
		if err := json.Unmarshal(r.Data.Result, &m); err != nil {
			return nil, err
		}
		v = m
	case model.ValVector:
		var m model.Vector
		if err := json.Unmarshal(r.Data.Result, &m); err != nil {
			return nil, err
		}
		v = m
	case model.ValScalar:
		var s model.Scalar
		if err := json.Unmarshal(r.Data.Result, &s); err != nil {
			return nil, err
		}
		v = &s
	case model.ValString:
		var s model.String
		if err := json.Unmarshal(r.Data.Result, &s); err != nil {
			return nil, err
		}
		v = &s
	default:
		return nil, fmt.Errorf("unexpected value type %q", r.Data.ResultType)
	}
	res, err := fromModel(v)
	if err != nil {
		return nil, err
	}
	res.Warnings, res.Infos = r.Warnings, r.Infos
	return res, nil
}

func fromModel(v model.Value) (*Result, error) {
	res := &Result{Type: v.Type().String()}
	labels := func(m model.Metric) data.Labels {
		l := data.Labels{}
		for k, v := range m {
			l[string(k)] = string(v)
		}
		return l
	}
	switch v := v.(type) {
	case model.Matrix:
		for _, ss := range v {
			s := Series{Labels: labels(ss.Metric)}
			for _, p := range ss.Values {
				s.Times = append(s.Times, p.Timestamp.Time().UTC())
				s.Values = append(s.Values, float64(p.Value))
			}
			for _, h := range ss.Histograms {
				if h.Histogram == nil {
					return nil, errors.New("nil histogram")
				}
				s.HistTimes = append(s.HistTimes, h.Timestamp.Time().UTC())
				s.Histograms = append(s.Histograms, fromModelHistogram(h.Histogram))
			}
			res.Series = append(res.Series, s)
		}
	case model.Vector:
		for _, smp := range v {
			s := Series{Labels: labels(smp.Metric)}
			if smp.Histogram != nil {
				s.HistTimes = []time.Time{smp.Timestamp.Time().UTC()}
				s.Histograms = []Histogram{fromModelHistogram(smp.Histogram)}
			} else {
				s.Times = []time.Time{smp.Timestamp.Time().UTC()}
				s.Values = []float64{float64(smp.Value)}
			}
			res.Series = append(res.Series, s)
		}
	case *model.Scalar:
		res.Scalar, res.ScalarTime = float64(v.Value), v.Timestamp.Time().UTC()
	case *model.String:
		res.String, res.StringTime = v.Value, v.Timestamp.Time().UTC()
	}
	return res, nil
}

func fromModelHistogram(h *model.SampleHistogram) Histogram {
	out := Histogram{Count: float64(h.Count), Sum: float64(h.Sum)}
	for _, b := range h.Buckets {
		out.Buckets = append(out.Buckets, Bucket{Boundaries: int(b.Boundaries), Lower: float64(b.Lower), Upper: float64(b.Upper), Count: float64(b.Count)})
	}
	return out
}

// diff describes how got differs from want ("" if they are the same). Floats must be
// the same bits (NaN is NaN, -0 is not 0), times the same instant and in UTC.
func diff(got, want *Result) string {
	if got.Type != want.Type {
		return fmt.Sprintf("type %q, want %q", got.Type, want.Type)
	}
	if d := diffStrings("warnings", got.Warnings, want.Warnings); d != "" {
		return d
	}
	if d := diffStrings("infos", got.Infos, want.Infos); d != "" {
		return d
	}
	if len(got.Series) != len(want.Series) {
		return fmt.Sprintf("%d series, want %d", len(got.Series), len(want.Series))
	}
	for i := range got.Series {
		if d := diffSeries(&got.Series[i], &want.Series[i]); d != "" {
			return fmt.Sprintf("series %d: %s", i, d)
		}
	}
	switch got.Type {
	case "scalar":
		if d := diffFloat(got.Scalar, want.Scalar); d != "" {
			return "scalar " + d
		}
		if d := diffTime(got.ScalarTime, want.ScalarTime); d != "" {
			return "scalar " + d
		}
	case "string":
		if got.String != want.String {
			return fmt.Sprintf("string %q, want %q", got.String, want.String)
		}
		if d := diffTime(got.StringTime, want.StringTime); d != "" {
			return "string " + d
		}
	}
	return ""
}

func diffStrings(what string, got, want []string) string {
	if len(got) != len(want) || !slices.Equal(got, want) {
		return fmt.Sprintf("%s %q, want %q", what, got, want)
	}
	return ""
}

func diffSeries(got, want *Series) string {
	if len(got.Labels) != len(want.Labels) {
		return fmt.Sprintf("labels %v, want %v", got.Labels, want.Labels)
	}
	for k, v := range want.Labels {
		if g, ok := got.Labels[k]; !ok || g != v {
			return fmt.Sprintf("labels %q, want %q", got.Labels, want.Labels)
		}
	}
	if len(got.Times) != len(want.Times) || len(got.Values) != len(want.Values) {
		return fmt.Sprintf("%d times and %d values, want %d and %d", len(got.Times), len(got.Values), len(want.Times), len(want.Values))
	}
	for i := range got.Times {
		if d := diffTime(got.Times[i], want.Times[i]); d != "" {
			return fmt.Sprintf("point %d: %s", i, d)
		}
		if d := diffFloat(got.Values[i], want.Values[i]); d != "" {
			return fmt.Sprintf("point %d: value %s", i, d)
		}
	}
	if len(got.HistTimes) != len(want.HistTimes) || len(got.Histograms) != len(want.Histograms) || len(got.HistTimes) != len(got.Histograms) {
		return fmt.Sprintf("%d histogram times and %d histograms, want %d and %d", len(got.HistTimes), len(got.Histograms), len(want.HistTimes), len(want.Histograms))
	}
	for i := range got.Histograms {
		if d := diffTime(got.HistTimes[i], want.HistTimes[i]); d != "" {
			return fmt.Sprintf("histogram %d: %s", i, d)
		}
		g, w := got.Histograms[i], want.Histograms[i]
		if d := diffFloat(g.Count, w.Count) + diffFloat(g.Sum, w.Sum); d != "" {
			return fmt.Sprintf("histogram %d: count/sum %v/%v, want %v/%v", i, g.Count, g.Sum, w.Count, w.Sum)
		}
		if len(g.Buckets) != len(w.Buckets) {
			return fmt.Sprintf("histogram %d: %d buckets, want %d", i, len(g.Buckets), len(w.Buckets))
		}
		for j := range g.Buckets {
			gb, wb := g.Buckets[j], w.Buckets[j]
			if gb.Boundaries != wb.Boundaries || diffFloat(gb.Lower, wb.Lower)+diffFloat(gb.Upper, wb.Upper)+diffFloat(gb.Count, wb.Count) != "" {
				return fmt.Sprintf("histogram %d bucket %d: %+v, want %+v", i, j, gb, wb)
			}
		}
	}
	return ""
}

func diffFloat(got, want float64) string {
	if math.Float64bits(got) != math.Float64bits(want) {
		return fmt.Sprintf("%v (%#x), want %v (%#x)", got, math.Float64bits(got), want, math.Float64bits(want))
	}
	return ""
}

func diffTime(got, want time.Time) string {
	if !got.Equal(want) || got.Location() != time.UTC {
		return fmt.Sprintf("time %s (%s), want %s", got.Format(time.RFC3339Nano), got.Location(), want.Format(time.RFC3339Nano))
	}
	return ""
}

// ---- generated bodies

// gen writes random query answers that client_golang accepts, with the features Decode
// must get right: NaN and infinities, escaped and non-ASCII labels, empty results,
// histograms, keys in any order, white space.
type gen struct {
	r *rand.Rand
	b bytes.Buffer
}

func (g *gen) pick(n int) int { return g.r.IntN(n) }

// ws writes white space, sometimes.
func (g *gen) ws() {
	if g.pick(8) == 0 {
		g.b.WriteString([]string{" ", "\n", "\t", "\r\n  "}[g.pick(4)])
	}
}

func (g *gen) str(s string) {
	if g.pick(3) > 0 { // encoding/json's escaping (\", \\, \n, \u003c ...)
		e, _ := json.Marshal(s)
		g.b.Write(e)
		return
	}
	g.b.WriteByte('"') // every non-ASCII rune and some ASCII as \uXXXX
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			g.b.WriteByte('\\')
			g.b.WriteRune(r)
		case r == '/' && g.pick(2) == 0:
			g.b.WriteString(`\/`)
		case r < 0x20 || r >= utf8.RuneSelf || g.pick(10) == 0:
			if r > 0xffff {
				r1, r2 := utf16Pair(r)
				fmt.Fprintf(&g.b, `\u%04x\u%04X`, r1, r2)
			} else {
				fmt.Fprintf(&g.b, `\u%04x`, r)
			}
		default:
			g.b.WriteRune(r)
		}
	}
	g.b.WriteByte('"')
}

func utf16Pair(r rune) (rune, rune) {
	r -= 0x10000
	return 0xd800 + (r>>10)&0x3ff, 0xdc00 + r&0x3ff
}

var labelTexts = []string{"demo", "10.0.0.1:8080", `say "hi"`, `back\slash`, "café", "line\nbreak", "tab\there",
	"</script>&", "😀 emoji", "日本語", "/api/items?x=1", "", "a/b", "\u2028", "é"}

func (g *gen) labelText() string {
	if g.pick(3) == 0 {
		return fmt.Sprintf("v%d", g.pick(1000))
	}
	return labelTexts[g.pick(len(labelTexts))]
}

func (g *gen) metric() {
	g.b.WriteByte('{')
	n := g.pick(6)
	if n > 0 && g.pick(2) == 0 {
		g.ws()
		g.str("__name__")
		g.b.WriteByte(':')
		g.ws()
		g.str("http_requests_total")
		n--
		if n > 0 {
			g.b.WriteByte(',')
		}
	}
	for i := range n {
		if i > 0 {
			g.b.WriteByte(',')
		}
		g.ws()
		name := []string{"job", "instance", "path", "code", "é_label", "with space", "le"}[g.pick(7)] + strconv.Itoa(i)
		g.str(name)
		g.ws()
		g.b.WriteByte(':')
		g.str(g.labelText())
		g.ws()
	}
	g.b.WriteByte('}')
}

func (g *gen) timestamp() {
	switch g.pick(12) {
	case 0:
		g.b.WriteString("0")
	case 1:
		fmt.Fprintf(&g.b, "-%d.%d", g.pick(100000), g.pick(1000))
	case 2:
		fmt.Fprintf(&g.b, "%d.%04d", 1_700_000_000+g.pick(1_000_000), g.pick(10000)) // beyond milliseconds
	case 3:
		fmt.Fprintf(&g.b, "%d", 1_700_000_000+g.pick(1_000_000))
	case 4:
		fmt.Fprintf(&g.b, "%d.%d", 1_700_000_000+g.pick(1_000_000), g.pick(10))
	case 5:
		fmt.Fprintf(&g.b, "%d.%02d", 1_700_000_000+g.pick(1_000_000), g.pick(100))
	case 6:
		fmt.Fprintf(&g.b, "0.%03d", g.pick(1000))
	default:
		// as Prometheus writes them: shortest float text of the milliseconds / 1000
		g.b.WriteString(strconv.FormatFloat(float64(1_700_000_000_000+int64(g.pick(1_000_000_000)))/1000, 'f', -1, 64))
	}
}

var specialValues = []string{"NaN", "+Inf", "-Inf", "-0", "0", "1", "-1", "1e-310", "1.7976931348623157e+308",
	"4.9e-324", "0.1", "123.456", "1e21", "12345678901234567890", "0.30000000000000004", "-2.5e-5", "1E+2"}

func (g *gen) value() string {
	switch g.pick(4) {
	case 0:
		return specialValues[g.pick(len(specialValues))]
	case 1:
		return strconv.FormatFloat(g.r.NormFloat64()*1e3, 'f', -1, 64)
	case 2:
		return strconv.FormatFloat(g.r.Float64(), 'g', -1, 64)
	default:
		return strconv.FormatFloat(float64(g.pick(1_000_000))/float64(1+g.pick(1000)), 'f', g.pick(8), 64)
	}
}

func (g *gen) pair() {
	g.b.WriteByte('[')
	g.ws()
	g.timestamp()
	g.ws()
	g.b.WriteByte(',')
	g.ws()
	g.b.WriteString(`"` + g.value() + `"`)
	g.b.WriteByte(']')
}

func (g *gen) histogram() {
	g.b.WriteByte('[')
	g.timestamp()
	g.b.WriteByte(',')
	keys := []string{"count", "sum", "buckets"}
	g.r.Shuffle(len(keys), func(i, j int) { keys[i], keys[j] = keys[j], keys[i] })
	g.b.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			g.b.WriteByte(',')
		}
		g.ws()
		g.b.WriteString(`"` + k + `":`)
		if k != "buckets" {
			g.b.WriteString(`"` + g.value() + `"`)
			continue
		}
		g.b.WriteByte('[')
		for j := range g.pick(5) {
			if j > 0 {
				g.b.WriteByte(',')
			}
			fmt.Fprintf(&g.b, `[%d,"%s","%s","%s"]`, g.pick(4), g.value(), g.value(), g.value())
		}
		g.b.WriteByte(']')
	}
	g.b.WriteString("}]")
}

func (g *gen) list(n int, elem func()) {
	g.b.WriteByte('[')
	for i := range n {
		if i > 0 {
			g.b.WriteByte(',')
			g.ws()
		}
		elem()
	}
	g.b.WriteByte(']')
}

// members writes an object whose members are written by the given functions, in a
// random order.
func (g *gen) members(ms ...func()) {
	g.r.Shuffle(len(ms), func(i, j int) { ms[i], ms[j] = ms[j], ms[i] })
	g.b.WriteByte('{')
	for i, m := range ms {
		if i > 0 {
			g.b.WriteByte(',')
		}
		g.ws()
		m()
		g.ws()
	}
	g.b.WriteByte('}')
}

func (g *gen) key(k string, value func()) func() {
	return func() {
		g.b.WriteString(`"` + k + `":`)
		g.ws()
		value()
	}
}

func (g *gen) body(kind string) []byte {
	g.b.Reset()
	series := []int{0, 1, 2, 5, 20}[g.pick(5)]
	var result func()
	switch kind {
	case "matrix":
		result = func() {
			g.list(series, func() {
				ms := []func(){g.key("metric", g.metric)}
				hist := g.pick(4) == 0
				if !hist || g.pick(2) == 0 {
					ms = append(ms, g.key("values", func() { g.list(g.pick(30), g.pair) }))
				}
				if hist {
					ms = append(ms, g.key("histograms", func() { g.list(1+g.pick(4), g.histogram) }))
				}
				g.members(ms...)
			})
		}
	case "vector":
		result = func() {
			g.list(series, func() {
				if g.pick(4) == 0 {
					g.members(g.key("metric", g.metric), g.key("histogram", g.histogram))
				} else {
					g.members(g.key("metric", g.metric), g.key("value", g.pair))
				}
			})
		}
	case "scalar":
		result = g.pair
	case "string":
		result = func() {
			g.b.WriteByte('[')
			g.timestamp()
			g.b.WriteByte(',')
			g.str(g.labelText())
			g.b.WriteByte(']')
		}
	}
	top := []func(){
		g.key("status", func() { g.b.WriteString(`"success"`) }),
		g.key("data", func() {
			dm := []func(){g.key("resultType", func() { g.b.WriteString(`"` + kind + `"`) }), g.key("result", result)}
			if g.pick(4) == 0 {
				dm = append(dm, g.key("stats", func() {
					g.b.WriteString(`{"timings":{"evalTotalTime":0.0001},"samples":{"totalQueryableSamples":3,"peak":[1,2.5e3,true,null]}}`)
				}))
			}
			g.members(dm...)
		}),
	}
	strs := func() {
		g.list(g.pick(3), func() { g.str(g.labelText()) })
	}
	if g.pick(3) == 0 {
		top = append(top, g.key("warnings", strs))
	}
	if g.pick(3) == 0 {
		top = append(top, g.key("infos", strs))
	}
	g.members(top...)
	out := bytes.Clone(g.b.Bytes())
	if g.pick(6) == 0 {
		var ind bytes.Buffer
		if json.Indent(&ind, out, "", "  ") == nil {
			out = ind.Bytes()
		}
	}
	return out
}

// generatedBodies are reproducible random answers of every result type.
func generatedBodies(n int) [][]byte {
	g := &gen{r: rand.New(rand.NewPCG(4, 2))}
	var out [][]byte
	for i := range n {
		out = append(out, g.body([]string{"matrix", "vector", "scalar", "string"}[i%4]))
	}
	return out
}

// ---- tests

// TestDecodeDifferential decodes generated answers and compares with client_golang's
// decoding of the same bodies, by its v1 API and by encoding/json into its model types.
func TestDecodeDifferential(t *testing.T) {
	kinds := map[string]int{}
	for i, body := range generatedBodies(2000) {
		got, err := Decode(body, Limits{})
		if err != nil {
			t.Fatalf("body %d: %v\n%s", i, err, body)
		}
		kinds[got.Type]++
		for _, ref := range []struct {
			name   string
			decode func([]byte) (*Result, error)
		}{{"v1 API", refV1}, {"encoding/json", refJSON}} {
			want, err := ref.decode(body)
			if got.Type == "string" && ref.name == "v1 API" {
				if err == nil {
					t.Fatalf("body %d: client_golang's v1 API now decodes strings", i)
				}
				continue // it refuses them: unexpected value type "string"
			}
			if err != nil {
				t.Fatalf("body %d: %s: %v\n%s", i, ref.name, err, body)
			}
			if d := diff(got, want); d != "" {
				t.Fatalf("body %d: against %s: %s\n%s", i, ref.name, d, body)
			}
		}
	}
	t.Logf("result types: %v", kinds)
}

const smallMatrix = `{"status":"success","data":{"resultType":"matrix","result":[` +
	`{"metric":{"__name__":"up","job":"d\"e\\m\u00e9o","i":"a\nb"},"values":[[1700000000.123,"1.5"],[1700000000.2,"NaN"],[1700000001,"-Inf"]]},` +
	`{"metric":{},"histograms":[[1700000000,{"count":"10","sum":"3.5","buckets":[[0,"-0.5","0.5","2"],[3,"0.5","1","8"]]}]]}` +
	`]},"warnings":["w1"],"infos":["i \u00e9"]}`

func TestDecodeExamples(t *testing.T) {
	ms := func(v int64) time.Time { return time.UnixMilli(v).UTC() }
	cases := []struct {
		name, body string
		want       *Result
	}{ // checked against client_golang too: its v1 API, or encoding/json where v1 refuses the body
		{"matrix", smallMatrix, &Result{Type: "matrix", Warnings: []string{"w1"}, Infos: []string{"i é"}, Series: []Series{
			{Labels: data.Labels{"__name__": "up", "job": "d\"e\\méo", "i": "a\nb"},
				Times: []time.Time{ms(1700000000123), ms(1700000000200), ms(1700000001000)}, Values: []float64{1.5, math.NaN(), math.Inf(-1)}},
			{Labels: data.Labels{}, HistTimes: []time.Time{ms(1700000000000)}, Histograms: []Histogram{{Count: 10, Sum: 3.5,
				Buckets: []Bucket{{0, -0.5, 0.5, 2}, {3, 0.5, 1, 8}}}}},
		}}},
		{"milliseconds exactly, later digits dropped", `{"status":"success","data":{"resultType":"vector","result":[` +
			`{"metric":{"a":"1"},"value":[1700000000.1239,"+Inf"]},{"metric":{"a":"2"},"value":[0.001,"-0"]},{"metric":{"a":"3"},"value":[-1.5,"1e3"]}]}}`,
			&Result{Type: "vector", Series: []Series{
				{Labels: data.Labels{"a": "1"}, Times: []time.Time{ms(1700000000123)}, Values: []float64{math.Inf(1)}},
				{Labels: data.Labels{"a": "2"}, Times: []time.Time{ms(1)}, Values: []float64{math.Copysign(0, -1)}},
				{Labels: data.Labels{"a": "3"}, Times: []time.Time{ms(-1500)}, Values: []float64{1000}},
			}}},
		{"keys in unusual order, unknown keys, white space", "{\"infos\":null, \"data\" :\n{\"result\":[{\"values\":[[1,\"2\"]],\"x\":{\"y\":[1,-2.5e+3,true,false,null,\"\\u0041\"]},\"metric\":{\"b\":\"c\"}}],\n\t\"stats\":{},\"resultType\":\"matrix\"}, \"status\":\"success\"}\r\n",
			&Result{Type: "matrix", Series: []Series{{Labels: data.Labels{"b": "c"}, Times: []time.Time{ms(1000)}, Values: []float64{2}}}}},
		{"resultType after the result, a misleading \"resultType\" later", `{"data":{"result":[{"metric":{"a":"1"},"value":[1,"1"]}],"resultType":"vector"},"x":{"\"resultType":"matrix"},"status":"success"}`,
			&Result{Type: "vector", Series: []Series{{Labels: data.Labels{"a": "1"}, Times: []time.Time{ms(1000)}, Values: []float64{1}}}}},
		{"resultType after the result, a misleading guess that fails", `{"data":{"result":[{"metric":{},"values":[[1,"1"],[2,"2"]]}],"resultType":"matrix"},"x":{"\"resultType":"scalar"},"status":"success"}`,
			&Result{Type: "matrix", Series: []Series{{Labels: data.Labels{}, Times: []time.Time{ms(1000), ms(2000)}, Values: []float64{1, 2}}}}},
		{"resultType after the result, a misleading guess half decoded", `{"data":{"result":[{"metric":{},"values":[[5,"5"],"bad"],"value":[1,"1"]}],"resultType":"vector"},"x":{"\"resultType":"matrix"},"status":"success"}`,
			&Result{Type: "vector", Series: []Series{{Labels: data.Labels{}, Times: []time.Time{ms(1000)}, Values: []float64{1}}}}},
		{"empty matrix", `{"status":"success","data":{"resultType":"matrix","result":[]}}`, &Result{Type: "matrix"}},
		{"null result", `{"status":"success","data":{"resultType":"vector","result":null}}`, &Result{Type: "vector"}},
		{"vector histogram", `{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"histogram":[2,{"count":"1","sum":"0","buckets":[[1,"0","1","1"]]}]}]}}`,
			&Result{Type: "vector", Series: []Series{{Labels: data.Labels{}, HistTimes: []time.Time{ms(2000)}, Histograms: []Histogram{{Count: 1, Buckets: []Bucket{{1, 0, 1, 1}}}}}}}},
		{"scalar", `{"status":"success","data":{"resultType":"scalar","result":[1700000000.5,"NaN"]}}`, &Result{Type: "scalar", Scalar: math.NaN(), ScalarTime: ms(1700000000500)}},
		{"string", `{"status":"success","data":{"resultType":"string","result":[1,"a\"b\u00e9\ud83d\ude00"]}}`, &Result{Type: "string", String: "a\"bé😀", StringTime: ms(1000)}},
		{"escaped value", `{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[[1,"1\u0030"]]}]}}`,
			&Result{Type: "matrix", Series: []Series{{Labels: data.Labels{}, Times: []time.Time{ms(1000)}, Values: []float64{10}}}}},
		{"long values", `{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[[1,"` + strings.Repeat("1", 40) + `"],[2,"0.` + strings.Repeat("0", 40) + `1"]]}]}}`,
			&Result{Type: "matrix", Series: []Series{{Labels: data.Labels{}, Times: []time.Time{ms(1000), ms(2000)}, Values: []float64{1.1111111111111111e39, 1e-41}}}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := Decode([]byte(c.body), Limits{})
			if err != nil {
				t.Fatal(err)
			}
			if d := diff(got, c.want); d != "" {
				t.Fatal(d)
			}
			// client_golang agrees: its v1 API (which refuses string results and unknown keys
			// in a series) or encoding/json into its model types (which refuses escaped values)
			want, err := refV1([]byte(c.body))
			if err != nil {
				var jerr error
				if want, jerr = refJSON([]byte(c.body)); jerr != nil {
					t.Fatalf("client_golang: %v; %v", err, jerr)
				}
			}
			if d := diff(got, want); d != "" {
				t.Fatalf("against client_golang: %s", d)
			}
		})
	}
}

// Series must not share memory: appending to one cannot change another.
func TestDecodeSeriesIndependent(t *testing.T) {
	res, err := Decode(matrixBody(3, 4, time.Unix(0, 0), time.Second), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	first := res.Series[1].Values[0]
	_ = append(res.Series[0].Values, 42)
	_ = append(res.Series[0].Times, time.Time{})
	if res.Series[1].Values[0] != first || res.Series[1].Times[0].IsZero() {
		t.Fatal("appending to a series changed the next one")
	}
}

func TestDecodeErrorBody(t *testing.T) {
	for _, body := range []string{
		`{"status":"error","errorType":"bad_data","error":"1:5: parse error: unexpected \"}\""}`,
		`{"error":"1:5: parse error: unexpected \"}\"","errorType":"bad_data","data":{"resultType":"nonsense"},"status":"error","warnings":["w"]}`,
		`{"status":"error","data":{"resultType":"nonsense"},"errorType":"bad_data","error":"1:5: parse error: unexpected \"}\""}`,
	} {
		_, err := Decode([]byte(body), Limits{})
		var ae *APIError
		if !errors.As(err, &ae) {
			t.Fatalf("%s: %v, want an *APIError", body, err)
		}
		if ae.Type != "bad_data" || ae.Msg != `1:5: parse error: unexpected "}"` || err.Error() != `1:5: parse error: unexpected "}" (bad_data)` {
			t.Errorf("%s: %+v %q", body, ae, err)
		}
		if strings.Contains(body, "nonsense") {
			continue // client_golang decodes data before it looks at the status
		}
		_, ref := refV1([]byte(body))
		var ve *v1.Error
		if !errors.As(ref, &ve) || string(ve.Type) != ae.Type || ve.Msg != ae.Msg {
			t.Errorf("%s: client_golang says %v", body, ref)
		}
	}
	// VictoriaMetrics-like: no errorType
	_, err := Decode([]byte(`{"status":"error","error":"too many series"}`), Limits{})
	var ae *APIError
	if !errors.As(err, &ae) || err.Error() != "too many series" {
		t.Errorf("no errorType: %v", err)
	}
	// no message at all
	_, err = Decode([]byte(`{"status":"error"}`), Limits{})
	if !errors.As(err, &ae) || err.Error() != "an error answer without a message" {
		t.Errorf("no message: %v", err)
	}
	// a truncated error body is a syntax error, not an API error
	_, err = Decode([]byte(`{"status":"error","errorType":"bad_data","error":"x"`), Limits{})
	if errors.As(err, &ae) || err == nil || !strings.HasPrefix(err.Error(), "truncated JSON at byte 52 ") {
		t.Errorf("truncated error body: %v", err)
	}
}

// Every proper prefix of a valid answer is an error saying where it was cut, never a
// panic or a success.
func TestDecodeTruncated(t *testing.T) {
	var pretty bytes.Buffer
	if err := json.Indent(&pretty, []byte(smallMatrix), "", "  "); err != nil {
		t.Fatal(err)
	}
	bodies := [][]byte{[]byte(smallMatrix), pretty.Bytes(),
		[]byte(`{"data":{"result":[{"values":[[1.5,"1"]],"metric":{"a":"\ud83d\ude00"}}],"resultType":"matrix"},"status":"success"}`),
		[]byte(`{"status":"success","data":{"resultType":"scalar","result":[-1.25,"+Inf"]},"warnings":[]}`),
		[]byte(`{"status":"success","data":{"resultType":"string","result":[0,"x\/y"]},"x":[true,false,null,-0.5e-3,{}]}`),
		[]byte(`{"status":"error","errorType":"timeout","error":"query timed out"}`),
	}
	n := 0
	for _, body := range bodies {
		var ae *APIError
		if _, err := Decode(body, Limits{}); err != nil && !errors.As(err, &ae) {
			t.Fatalf("the whole body: %v\n%s", err, body)
		}
		for cut := range len(body) {
			prefix := body[:cut]
			res, err := Decode(prefix, Limits{})
			n++
			if err == nil {
				t.Fatalf("%q: decoded %+v", prefix, res)
			}
			want := fmt.Sprintf("truncated JSON at byte %d ", cut)
			if len(bytes.TrimSpace(prefix)) == 0 {
				want = "empty body"
			}
			if !strings.HasPrefix(err.Error(), want) {
				t.Fatalf("%q: %v, want %q...", prefix, err, want)
			}
			if _, err := refV1(prefix); err == nil {
				t.Fatalf("%q: client_golang decoded it", prefix)
			}
		}
	}
	t.Logf("%d truncated bodies", n)
}

func TestDecodeNotJSON(t *testing.T) {
	ok := `{"status":"success","data":{"resultType":"scalar","result":[1,"1"]}}`
	cases := []struct{ body, want string }{
		{"<!DOCTYPE html><html><body>Grafana</body></html>", `not JSON: starts with '<'`},
		{"\n  <html>", `not JSON: starts with '<'`},
		{"404 page not found", `not a JSON object: starts with '4'`},
		{"Bad Gateway", `not JSON: starts with 'B'`},
		{"", `empty body`},
		{"  \n", `empty body`},
		{`["status","success"]`, `not a JSON object: starts with '['`},
		{"null", `not a JSON object: starts with 'n'`},
		{"\xef\xbb\xbf" + ok, `not JSON: starts with byte 0xef`},
		{ok + " x", `invalid JSON at byte 69: unexpected 'x' after the answer's object`},
		{ok + ok, `invalid JSON at byte 68: unexpected '{' after the answer's object`},
		{`{"status":"success","data":{"resultType":"scalar","result":[1,"1"]}]`, `invalid JSON at byte 67: expected ',' or '}' in an object, found ']'`},
		{`{"status":'success'}`, `invalid JSON at byte 10: expected a string, found '\''`},
		{`{status:"success"}`, `invalid JSON at byte 1: expected a quoted key, found 's'`},
		{`{"status":"success","data":{"resultType":"scalar","result":[1,"1"]},}`, `invalid JSON at byte 68: expected a quoted key, found '}'`},
		{`{"x":[1,2,],"status":"success"}`, `invalid JSON at byte 10: expected a value, found ']'`},
		{`{"x":01,"status":"success"}`, `invalid JSON at byte 6: expected ',' or '}' in an object, found '1'`},
		{`{"x":"a` + "\x01" + `"}`, `invalid JSON at byte 7: expected a string character (control characters must be escaped), found '\x01'`},
		{`{"x":"\q"}`, `invalid JSON at byte 7: expected an escape`},
		{`{"x":tru}`, `invalid JSON at byte 8: expected "true", found '}'`},
		{`{"x":` + strings.Repeat("[", 20000) + strings.Repeat("]", 20000) + `}`, `nested more than 10000 deep`},
	}
	for _, c := range cases {
		_, err := Decode([]byte(c.body), Limits{})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%.60q: %v, want %q", c.body, err, c.want)
		}
		if _, ref := refV1([]byte(c.body)); ref == nil {
			t.Errorf("%.60q: client_golang decoded it", c.body)
		}
	}
}

// Valid JSON that is not a usable query answer: a clear error, never a guess.
func TestDecodeUnexpected(t *testing.T) {
	wrap := func(typ, result string) string {
		return `{"status":"success","data":{"resultType":"` + typ + `","result":` + result + `}}`
	}
	m := func(values string) string { return wrap("matrix", `[{"metric":{},"values":[`+values+`]}]`) }
	cases := []struct{ body, want string }{
		{`{"status":"success"}`, "no data"},
		{`{"status":"success","data":null}`, "no data"},
		{`{"status":"weird","data":{"resultType":"scalar","result":[1,"1"]}}`, `status "weird"`},
		{`{"status":"success","data":{"result":[]}}`, "data without a resultType"},
		{`{"status":"success","data":{"resultType":"matrix"}}`, "data without a result"},
		{wrap("histogram", "[]"), `unknown resultType "histogram"`},
		{m(`[1,2]`), "expected a quoted sample value"},
		{m(`[1,"abc"]`), `the sample value "abc" is not a number`},
		{m(`[1,"1e400"]`), `the sample value "1e400" is not a number`},
		{m(`[1,""]`), `the sample value "" is not a number`},
		{m(`["1","2"]`), "a time must be a number, not a string"},
		{m(`[1e9,"2"]`), "a time in exponent form"},
		{m(`[12345678901234567,"2"]`), "out of range"},
		{m(`[1,"2","3"]`), `expected ']' ending the [time, "value"] pair, found ','`},
		{m(`[1]`), `expected ',' after the time, found ']'`},
		{m(`{"t":1}`), `expected '[' starting a [time, "value"] pair, found '{'`},
		{wrap("matrix", `[{"metric":{"a":1}}]`), "expected a string, found '1'"},
		{wrap("matrix", `[{"metric":{"a":"\udc00"}}]`), "a lone UTF-16 surrogate"},
		{wrap("matrix", `[{"metric":{"a":"\ud800x"}}]`), "a lone UTF-16 surrogate"},
		{wrap("matrix", "[{\"metric\":{\"a\":\"\xff\"}}]"), "not valid UTF-8"},
		{wrap("matrix", `[{"metric":{},"metric":{}}]`), `the key "metric" is repeated`},
		{wrap("matrix", `[{"Metric":{}}]`), `the key "Metric" is not "metric"`},
		{`{"status":"success","Data":{}}`, `the key "Data" is not "data"`},
		{`{"status":"success","data":{"resultType":"scalar","result":[1,"1"]},"data":{"resultType":"scalar","result":[1,"1"]}}`, `the key "data" is repeated`},
		{wrap("matrix", `[[1,"2"]]`), "expected '{'"},
		{wrap("vector", `[{"metric":{}}]`), "a vector sample without value or histogram"},
		{wrap("vector", `[{"metric":{},"value":[1,"1"],"histogram":[1,{}]}]`), "both a value and a histogram"},
		{wrap("vector", `[{"metric":{},"histogram":[1,null]}]`), "a null histogram"},
		{wrap("vector", `[{"metric":{},"histogram":[1,{"count":1}]}]`), "expected a quoted number for the histogram count"},
		{wrap("vector", `[{"metric":{},"histogram":[1,{"buckets":[[4,"1","2","3"]]}]}]`), "bucket boundaries must be 0, 1, 2 or 3"},
		{wrap("vector", `[{"metric":{},"histogram":[1,{"buckets":[[1.0,"1","2","3"]]}]}]`), "bucket boundaries must be 0, 1, 2 or 3"},
		{wrap("vector", `[{"metric":{},"histogram":[1,{"buckets":[[1,"1","2"]]}]}]`), `expected ',' in a histogram bucket, found ']'`},
		{wrap("scalar", `[1,"1",2]`), `expected ']' ending the [time, "value"] pair`},
		{wrap("scalar", `null`), `expected '[' starting a scalar, found 'n'`},
		{wrap("string", `[1,2]`), "expected a string, found '2'"},
		{`{"status":"success","warnings":[1],"data":{"resultType":"scalar","result":[1,"1"]}}`, "expected a string, found '1'"},
	}
	for _, c := range cases {
		res, err := Decode([]byte(c.body), Limits{})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v (%+v), want %q", c.body, err, res, c.want)
		}
	}
}

func TestDecodeLimits(t *testing.T) {
	matrix := matrixBody(3, 4, time.Unix(1_700_000_000, 0), 15*time.Second) // 3 series, 12 samples
	vector := `{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,"1"]},{"metric":{},"histogram":[1,{"count":"1","sum":"1"}]}]}}`
	hist := `{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[[1,"1"]],"histograms":[[1,{"count":"1","sum":"1"}],[2,{"count":"1","sum":"1"}]]}]}}`
	cases := []struct {
		body string
		lim  Limits
		want string // "" for no error
	}{
		{string(matrix), Limits{MaxSamples: 12, MaxSeries: 3}, ""},
		{string(matrix), Limits{MaxSamples: 11}, "more than 11 samples (the data source's sample limit)"},
		{string(matrix), Limits{MaxSamples: 1}, "more than 1 samples (the data source's sample limit)"},
		{string(matrix), Limits{MaxSeries: 2}, "more than 2 series (the data source's series limit)"},
		{vector, Limits{MaxSamples: 2, MaxSeries: 2}, ""},
		{vector, Limits{MaxSamples: 1}, "more than 1 samples"},
		{vector, Limits{MaxSeries: 1}, "more than 1 series"},
		{hist, Limits{MaxSamples: 3}, ""},
		{hist, Limits{MaxSamples: 2}, "more than 2 samples"},
		{`{"status":"success","data":{"resultType":"scalar","result":[1,"1"]}}`, Limits{MaxSamples: 1, MaxSeries: 1}, ""},
	}
	for _, c := range cases {
		_, err := Decode([]byte(c.body), c.lim)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%+v: %v", c.lim, err)
		case c.want != "" && (err == nil || err.Error() != c.want && !strings.HasPrefix(err.Error(), c.want+" ")):
			t.Errorf("%+v: %v, want %q", c.lim, err, c.want)
		case c.want != "" && !errors.Is(err, ErrLimit):
			t.Errorf("%+v: %v does not wrap ErrLimit", c.lim, err)
		}
	}
	// A limit stops the work early: a huge answer over the limit is refused after the limit,
	// not decoded first.
	big := matrixBody(2000, 720, time.Unix(1_700_000_000, 0), 15*time.Second)
	allocs := testing.AllocsPerRun(3, func() {
		if _, err := Decode(big, Limits{MaxSeries: 10}); !errors.Is(err, ErrLimit) {
			t.Fatal(err)
		}
	})
	if allocs > 200 {
		t.Errorf("%v allocations to refuse an answer at 10 series", allocs)
	}
}

// Allocations grow with the series, not with the samples.
func TestDecodeAllocs(t *testing.T) {
	for _, c := range []struct {
		name         string
		body         []byte
		series       int
		perSeries    float64
		constantPart float64
	}{
		{"matrix 200x500", matrixBody(200, 500, time.Unix(1_700_000_000, 0), 15*time.Second), 200, 4, 60},
		{"matrix 50x20", matrixBody(50, 20, time.Unix(1_700_000_000, 0), 15*time.Second), 50, 4, 30},
		{"vector 500", vectorBody(500), 500, 4, 60},
	} {
		allocs := testing.AllocsPerRun(5, func() {
			res, err := Decode(c.body, Limits{})
			if err != nil || len(res.Series) != c.series {
				t.Fatal(err)
			}
		})
		if max := c.perSeries*float64(c.series) + c.constantPart; allocs > max {
			t.Errorf("%s: %v allocations, want at most %v", c.name, allocs, max)
		}
		t.Logf("%s: %v allocations (%.2f per series)", c.name, allocs, allocs/float64(c.series))
	}
}

func vectorBody(n int) []byte {
	var b bytes.Buffer
	b.WriteString(`{"status":"success","data":{"resultType":"vector","result":[`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"metric":{"__name__":"up","job":"demo","instance":"10.0.%d.%d:8080"},"value":[1700000000.5,"%d"]}`, i/250, i%250, i)
	}
	b.WriteString(`]}}`)
	return b.Bytes()
}

// The fast path for timestamps gives what the general one gives, or leaves the text to it.
func TestFastTime(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	fast := 0
	for range 200000 {
		sec := strconv.FormatUint(r.Uint64N(1_000_000_000_000_000)>>r.IntN(50), 10)
		if r.IntN(20) == 0 {
			sec = "0" + sec
		}
		text := sec
		if n := r.IntN(12); n > 0 {
			text += "." + strconv.FormatUint(r.Uint64(), 10)[:min(n, 19)]
		} else if r.IntN(10) == 0 {
			text += "."
		}
		body := []byte(text + `,"1"]`)
		ms, next, ok := fastTime(body, 0)
		d := decoder{Scanner: jsonscan.Scanner{B: body, Strict: true}}
		want, err := d.timestamp()
		if !ok {
			continue
		}
		fast++
		if err != nil || ms != want || next != d.I+1 {
			t.Fatalf("%q: fast %d (next %d), general %d (next %d) %v", text, ms, next, want, d.I+1, err)
		}
	}
	if fast < 150000 {
		t.Errorf("only %d of 200000 timestamps took the fast path", fast)
	}
}

// The fast path for plain decimals gives exactly what strconv.ParseFloat gives.
func TestFastFloat(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	fast := 0
	check := func(s string) {
		want, werr := strconv.ParseFloat(s, 64)
		got, ok := parseFloat([]byte(s))
		if _, end, ok := decimal([]byte(s), 0); ok && end == len(s) {
			fast++
		}
		if ok != (werr == nil) || ok && math.Float64bits(got) != math.Float64bits(want) {
			t.Fatalf("%q: %v %v, want %v %v", s, got, ok, want, werr)
		}
		// Inside a body, eight bytes at a time: the same answer as at the end of one.
		v, end, ok := decimal([]byte(s), 0)
		pv, pend, pok := decimal([]byte(s+`"],[1700000000.5,"1"]`), 0)
		if pok != ok || ok && (pend != end || math.Float64bits(pv) != math.Float64bits(v)) {
			t.Fatalf("%q followed by more: %v %d %v, alone: %v %d %v", s, pv, pend, pok, v, end, ok)
		}
	}
	for _, s := range []string{"0", "-0", "00", "0.0", "-0.000", "1", "1.", ".5", "-.5", "+1", "1e5", "0x10", "1_0",
		"123456789012345", "1234567890123456", "9007199254740993", "0.000000000000001", "999999999999999.9",
		"-", ".", "", "1..2", "1.2.3", "NaN", "inf", "-Infinity", "1e", "١"} {
		check(s)
	}
	for _, m := range []uint64{1 << 53, 1<<53 + 1, 1<<53 + 2, 1<<53 + 3, 1<<54 + 2, 1<<54 + 6, 1<<63 - 1, 1 << 63, 1<<63 + 1024, 1<<63 + 1025, 1<<63 + 3072, 9999999999999999999} {
		for frac := 0; frac <= 19; frac++ { // ties and near-ties at every scale
			for _, d := range []uint64{0, 1, ^uint64(0)} {
				t := strconv.FormatUint(m+d, 10)
				if len(t) <= 19 && frac <= len(t) {
					check(t[:len(t)-frac] + "." + t[len(t)-frac:])
					check(t)
				}
			}
		}
	}
	for range 500000 {
		var s string
		switch r.IntN(6) {
		case 4: // 16 to 19 digits: divRound
			t := strconv.FormatUint(r.Uint64N(9_999_999_999_999_999_999-1<<53)+1<<53, 10)
			k := r.IntN(len(t) + 1)
			s = t[:k] + "." + t[k:]
			if k == 0 {
				s = "0" + s[:min(len(s), 19)]
			}
			if k == len(t) {
				s = t
			}
		case 5: // as Prometheus writes rates
			s = strconv.FormatFloat(r.Float64()*math.Pow(10, float64(r.IntN(12)-4)), 'f', -1, 64)
		case 0:
			s = strconv.FormatFloat(r.NormFloat64()*math.Pow(10, float64(r.IntN(30)-15)), 'f', -1, 64)
		case 1:
			s = strconv.FormatFloat(r.Float64()*1e6, 'f', r.IntN(12), 64)
		case 2:
			s = strconv.FormatUint(r.Uint64()>>r.IntN(64), 10)
		default:
			s = strconv.FormatFloat(float64(r.IntN(100000))/float64(1+r.IntN(1000)), 'f', -1, 64)
		}
		check(s)
	}
	if fast < 300000 {
		t.Errorf("only %d texts took the fast path", fast)
	}
	t.Logf("%d texts took the fast path", fast)
}

// Series with the same times share one slice of them; every other shape of times (a
// prefix of the shared ones, a longer run, a divergence at any point, times of its own)
// decodes as the reference decoders say, through Decode and through frames.
func TestDecodeSharedTimes(t *testing.T) {
	grid := func(from, n int) []int { // n steps of 15 s from step from
		var ts []int
		for i := range n {
			ts = append(ts, from+i)
		}
		return ts
	}
	diverged := func(at int) []int { ts := grid(0, 8); ts[at] = 100 + at; return ts }
	shapes := [][]int{grid(0, 8), grid(0, 8), grid(0, 3), grid(0, 8), grid(0, 12), grid(0, 12), grid(0, 8),
		diverged(0), diverged(3), diverged(7), grid(0, 8), grid(5, 8), grid(5, 8), grid(5, 1), {}, grid(0, 8)}
	var b strings.Builder
	b.WriteString(`{"status":"success","data":{"resultType":"matrix","result":[`)
	for i, ts := range shapes {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"metric":{"s":"%d"},"values":[`, i)
		for j, step := range ts {
			if j > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, `[%s,"%d.5"]`, strconv.FormatFloat(1_764_000_000+15*float64(step)+0.25, 'f', -1, 64), i*100+j)
		}
		b.WriteString(`]}`)
	}
	b.WriteString(`]}}`)
	body := []byte(b.String())

	got, err := Decode(body, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	want, err := refJSON(body)
	if err != nil {
		t.Fatal(err)
	}
	if d := diff(got, want); d != "" {
		t.Fatalf("against encoding/json: %s", d)
	}
	same := func(a, b []time.Time) bool { return len(a) > 0 && len(b) > 0 && &a[0] == &b[0] }
	s := got.Series
	for _, c := range []struct {
		a, b  int
		share bool
	}{
		{0, 1, true}, {0, 2, true}, {0, 3, true}, // the same times, a prefix, the same again
		{4, 5, true}, {0, 4, false}, {4, 6, true}, // longer: times of its own, then its prefix
		{7, 8, false}, {9, 10, false}, {10, 11, false}, // diverging at the first, a middle, the last time
		{11, 12, true}, {12, 13, true}, {13, 15, false}, // a new grid and its prefix
	} {
		if same(s[c.a].Times, s[c.b].Times) != c.share {
			t.Errorf("series %d and %d share times: %v, want %v", c.a, c.b, !c.share, c.share)
		}
	}
	if s[6].Times[7] != s[4].Times[7] || !same(s[6].Times, s[4].Times) {
		t.Errorf("series 6 is not the prefix of series 4's times")
	}
	got.Release()

	multi := newMultiFrames(query.FormatTimeSeries, "")
	res, err := decode(body, Limits{}, multi)
	if err != nil {
		t.Fatal(err)
	}
	frames, err := buildFrames(res, query.FormatTimeSeries, multi, "x")
	if err != nil {
		t.Fatal(err)
	}
	if len(frames) != len(shapes) {
		t.Fatalf("%d frames, want %d", len(frames), len(shapes))
	}
	for i, f := range frames {
		if f.Rows() != len(shapes[i]) {
			t.Fatalf("frame %d: %d rows, want %d", i, f.Rows(), len(shapes[i]))
		}
		for j, step := range shapes[i] {
			if at := f.Fields[0].At(j).(time.Time); at.UnixMilli() != 1_764_000_000_250+15_000*int64(step) {
				t.Fatalf("frame %d row %d: time %v", i, j, at)
			}
		}
	}
}
