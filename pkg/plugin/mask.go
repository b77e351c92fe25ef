package plugin

import (
	"context"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/data"
)

// The plugin's boundary with Grafana: whatever leaves it (a query's error and notices,
// Save & test, a resource answer, a Live frame) has the data source's secrets masked.
// The clients mask what a server's error quotes before it is cut to an excerpt; this
// catches everything else.

// maskResponse masks a query answer's error text (keeping its status and source) and
// its frames' notices.
func (d *Datasource) maskResponse(res backend.DataResponse) backend.DataResponse {
	res.Error = d.settings.Secrets.Error(res.Error)
	d.maskNotices(res.Frames)
	return res
}

// maskNotices masks the text of every notice of fr.
func (d *Datasource) maskNotices(fr data.Frames) {
	for _, f := range fr {
		if f == nil || f.Meta == nil {
			continue
		}
		for i := range f.Meta.Notices {
			f.Meta.Notices[i].Text = d.settings.Secrets.String(f.Meta.Notices[i].Text)
		}
	}
}

// maskedSender masks every resource answer's body.
type maskedSender struct {
	backend.CallResourceResponseSender
	d *Datasource
}

func (s maskedSender) Send(res *backend.CallResourceResponse) error {
	if res != nil {
		if body, masked := string(res.Body), s.d.settings.Secrets.String(string(res.Body)); masked != body {
			res.Body = []byte(masked)
		}
	}
	return s.CallResourceResponseSender.Send(res)
}

// CheckHealth is Save & test (checkHealth) with its message and details masked.
func (d *Datasource) CheckHealth(ctx context.Context, req *backend.CheckHealthRequest) (*backend.CheckHealthResult, error) {
	res, err := d.checkHealth(ctx, req)
	if res != nil {
		res.Message = d.settings.Secrets.String(res.Message)
		if len(res.JSONDetails) > 0 {
			res.JSONDetails = []byte(d.settings.Secrets.String(string(res.JSONDetails)))
		}
	}
	return res, d.settings.Secrets.Error(err)
}
