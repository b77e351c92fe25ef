package prometheus

import (
	"encoding/json"
	"errors"
	"math"
	"strconv"
	"testing"
)

// FuzzDecode: Decode never panics, never accepts what is not JSON, agrees with
// client_golang (its v1 API and encoding/json into its model types) whenever both
// decode a body, and its limits count exactly what it decodes.
//
//	go test -run '^$' -fuzz FuzzDecode -fuzztime 60s ./pkg/prometheus
func FuzzDecode(f *testing.F) {
	for _, b := range generatedBodies(64) {
		f.Add(b)
	}
	for _, s := range []string{
		smallMatrix,
		`{"status":"error","errorType":"bad_data","error":"parse error"}`,
		`{"data":{"result":[{"values":[[1.5,"1"]],"metric":{"a":"\ud83d\ude00"}}],"resultType":"matrix"},"status":"success"}`,
		`{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"histogram":[1,{"count":"1","sum":"1","buckets":[[0,"0","1","1"]]}]}]}}`,
		`{"status":"success","data":{"resultType":"scalar","result":[-1.25,"+Inf"]},"warnings":["w"],"infos":null}`,
		`{"status":"success","data":{"resultType":"string","result":[0,"x\/y"]},"x":[true,false,null,-0.5e-3,{}]}`,
		`<html>`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		got, err := Decode(body, Limits{})
		if err != nil {
			if err.Error() == "" {
				t.Fatal("an empty error message")
			}
			var ae, wae *APIError
			if errors.As(err, &ae) {
				want, rerr := refJSON(body)
				switch {
				case rerr == nil:
					t.Fatalf("API error %v, encoding/json decoded %+v", ae, want)
				case errors.As(rerr, &wae) && *wae != *ae:
					t.Fatalf("API error %+v, encoding/json says %+v", ae, wae)
				}
			}
			return
		}
		if !json.Valid(body) {
			t.Fatalf("decoded a body that is not JSON: %+v", got)
		}
		for _, ref := range []struct {
			name   string
			decode func([]byte) (*Result, error)
		}{{"v1 API", refV1}, {"encoding/json", refJSON}} {
			want, rerr := ref.decode(body)
			if rerr != nil {
				continue
			}
			if d := diff(got, want); d != "" {
				t.Fatalf("against %s: %s", ref.name, d)
			}
		}
		// the limits count what was decoded, exactly
		samples := 0
		for _, s := range got.Series {
			samples += len(s.Values) + len(s.Histograms)
		}
		if got.Type == "scalar" {
			samples = 1
		}
		if _, err := Decode(body, Limits{MaxSamples: max(samples, 1), MaxSeries: max(len(got.Series), 1)}); err != nil {
			t.Fatalf("at the limits (%d samples, %d series): %v", samples, len(got.Series), err)
		}
		if samples > 1 {
			if _, err := Decode(body, Limits{MaxSamples: samples - 1}); !errors.Is(err, ErrLimit) {
				t.Fatalf("%d samples under a limit of %d: %v", samples, samples-1, err)
			}
		}
		if n := len(got.Series); n > 1 {
			if _, err := Decode(body, Limits{MaxSeries: n - 1}); !errors.Is(err, ErrLimit) {
				t.Fatalf("%d series under a limit of %d: %v", n, n-1, err)
			}
		}
	})
}

// FuzzDecimal: the fast float path gives exactly what strconv.ParseFloat gives.
func FuzzDecimal(f *testing.F) {
	f.Add(uint64(1<<53+1), uint8(0), false)
	f.Add(uint64(9999999999999999999), uint8(19), true)
	f.Add(uint64(17640000001234567), uint8(7), false)
	f.Fuzz(func(t *testing.T, m uint64, frac uint8, neg bool) {
		s := strconv.FormatUint(m, 10)
		if k := int(frac) % 21; k < len(s) {
			s = s[:len(s)-k] + "." + s[len(s)-k:]
		}
		if neg {
			s = "-" + s
		}
		want, werr := strconv.ParseFloat(s, 64)
		got, ok := parseFloat([]byte(s))
		if ok != (werr == nil) || math.Float64bits(got) != math.Float64bits(want) {
			t.Fatalf("%q: %v %v, want %v %v", s, got, ok, want, werr)
		}
	})
}
