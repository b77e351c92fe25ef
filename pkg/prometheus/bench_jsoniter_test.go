package prometheus

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/data"
	"github.com/grafana/grafana-plugin-sdk-go/data/utils/jsoniter"
	v1 "github.com/prometheus/client_golang/api/prometheus/v1"
)

// The streaming baseline: the technique of Grafana's own Prometheus data source, which
// reads the answer with the SDK's data/utils/jsoniter straight off the response body
// (1 KiB buffer), one token at a time, and builds a frame per series as it goes. It is
// written here from that description, in the strongest form we know: sample values read
// as byte slices (no string per sample), the samples of a series gathered in typed
// scratch slices reused from series to series, one data.NewField per field (which copies
// them into a vector of their exact length).

// jsoniterQueryRange posts the range query with the client's HTTP client and converts the
// answer while streaming it.
func jsoniterQueryRange(c *Client, expr, legendFormat string, r v1.Range) (data.Frames, error) {
	req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, c.raw.URL("/api/v1/query_range", nil).String(),
		strings.NewReader(rangeParams(expr, r).Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	iter, err := jsoniter.Parse(jsoniter.ConfigDefault, resp.Body, 1024)
	if err != nil {
		return nil, err
	}
	sc := streamConverter{iter: iter, legendFormat: legendFormat}
	return sc.answer()
}

type streamConverter struct {
	iter         *jsoniter.Iterator
	legendFormat string
	frames       data.Frames
	times        []time.Time // scratch of the series being read
	values       []float64
}

func (sc *streamConverter) answer() (data.Frames, error) {
	for k, err := sc.iter.ReadObject(); k != ""; k, err = sc.iter.ReadObject() {
		if err != nil {
			return nil, err
		}
		switch k {
		case "status":
			s, err := sc.iter.ReadString()
			if err != nil {
				return nil, err
			}
			if s != "success" {
				return nil, fmt.Errorf("status %q", s)
			}
		case "data":
			if err := sc.data(); err != nil {
				return nil, err
			}
		default:
			if err := sc.iter.Skip(); err != nil {
				return nil, err
			}
		}
	}
	return sc.frames, sc.iter.ReadError()
}

func (sc *streamConverter) data() error {
	for k, err := sc.iter.ReadObject(); k != ""; k, err = sc.iter.ReadObject() {
		if err != nil {
			return err
		}
		switch k {
		case "resultType":
			if t, err := sc.iter.ReadString(); err != nil || t != "matrix" {
				return fmt.Errorf("resultType %q, %v", t, err)
			}
		case "result":
			for more, err := sc.iter.ReadArray(); more; more, err = sc.iter.ReadArray() {
				if err != nil {
					return err
				}
				if err := sc.series(); err != nil {
					return err
				}
			}
		default:
			if err := sc.iter.Skip(); err != nil {
				return err
			}
		}
	}
	return nil
}

func (sc *streamConverter) series() error {
	labels := data.Labels{}
	sc.times, sc.values = sc.times[:0], sc.values[:0]
	for k, err := sc.iter.ReadObject(); k != ""; k, err = sc.iter.ReadObject() {
		if err != nil {
			return err
		}
		switch k {
		case "metric":
			for name, err := sc.iter.ReadObject(); name != ""; name, err = sc.iter.ReadObject() {
				if err != nil {
					return err
				}
				v, err := sc.iter.ReadString()
				if err != nil {
					return err
				}
				labels[name] = v
			}
		case "values":
			for more, err := sc.iter.ReadArray(); more; more, err = sc.iter.ReadArray() {
				if err != nil {
					return err
				}
				t, v, err := sc.pair()
				if err != nil {
					return err
				}
				sc.times = append(sc.times, t)
				sc.values = append(sc.values, v)
			}
		default:
			if err := sc.iter.Skip(); err != nil {
				return err
			}
		}
	}
	timeField := data.NewField(data.TimeSeriesTimeFieldName, nil, sc.times)
	valueField := data.NewField(data.TimeSeriesValueFieldName, labels, sc.values)
	valueField.Config = &data.FieldConfig{DisplayNameFromDS: legend(sc.legendFormat, labels)}
	sc.frames = append(sc.frames, data.NewFrame("", timeField, valueField))
	return nil
}

// pair reads [t, "v"].
func (sc *streamConverter) pair() (time.Time, float64, error) {
	if more, err := sc.iter.ReadArray(); !more || err != nil {
		return time.Time{}, 0, fmt.Errorf("no pair: %v", err)
	}
	sec, err := sc.iter.ReadFloat64()
	if err != nil {
		return time.Time{}, 0, err
	}
	if more, err := sc.iter.ReadArray(); !more || err != nil {
		return time.Time{}, 0, fmt.Errorf("no value: %v", err)
	}
	s, err := sc.iter.ReadStringAsSlice()
	if err != nil {
		return time.Time{}, 0, err
	}
	v, err := strconv.ParseFloat(string(s), 64)
	if err != nil {
		return time.Time{}, 0, err
	}
	if more, err := sc.iter.ReadArray(); more || err != nil {
		return time.Time{}, 0, fmt.Errorf("pair not closed: %v", err)
	}
	return time.UnixMilli(int64(math.Round(sec * 1000))).UTC(), v, nil
}
