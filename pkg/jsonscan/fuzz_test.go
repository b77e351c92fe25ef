package jsonscan

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"
	"unicode/utf8"
)

func FuzzScan(f *testing.F) {
	for _, s := range []string{
		`{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"a":"b"},"values":[[1,"1"]]}]}}`,
		`{"cmdline":["app","-x"],"memstats":{"PauseNs":[1,2,3],"EnableGC":true},"z":null}`,
		`{"esc":"\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00\ud800x","":[-0.5e-3,1E+2,0]}`,
		`[[[[[[[[1]]]]]]]]`, `"\udc00"`, "\"\xff\"", `{"a":1`, `[1,]`, `{"a" 1}`, ` 1 `, `tru`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		valid := json.Valid(doc)
		// Skip accepts exactly the valid documents
		s := &Scanner{B: doc}
		err := s.Skip()
		if err == nil {
			if i := SkipWS(doc, s.I); i < len(doc) {
				err = s.ErrAt(i, "the end")
			}
		}
		checkError(t, doc, err)
		if (err == nil) != valid {
			t.Fatalf("Skip: %v, json.Valid: %v", err, valid)
		}
		// walking with the API accepts the same documents, and leniently reads the same
		// values as encoding/json (whose strings replace invalid UTF-8: compare valid text)
		got, err := parse(string(doc), false)
		checkError(t, doc, err)
		if (err == nil) != valid {
			t.Fatalf("walk: %v, json.Valid: %v", err, valid)
		}
		if valid && utf8.Valid(doc) {
			want, err := reference(string(doc))
			if err != nil {
				t.Fatalf("encoding/json: %v", err)
			}
			g, _ := json.Marshal(got)
			w, _ := json.Marshal(want)
			if !bytes.Equal(g, w) {
				t.Fatalf("read %s, encoding/json %s", g, w)
			}
		}
		// strict reading refuses valid documents only for their strings
		_, err = parse(string(doc), true)
		checkError(t, doc, err)
		var e *Error
		if valid && err != nil && (!errors.As(err, &e) || e.Msg == "") {
			t.Fatalf("strict: a valid document gives %v", err)
		}
	})
}

// checkError: an error is an *Error at a byte of the document (its end when truncated).
func checkError(t *testing.T, doc []byte, err error) {
	t.Helper()
	if err == nil {
		return
	}
	var e *Error
	switch {
	case !errors.As(err, &e):
		t.Fatalf("error of type %T: %v", err, err)
	case e.Truncated && e.Offset != len(doc):
		t.Fatalf("truncated at %d of %d: %v", e.Offset, len(doc), err)
	case !e.Truncated && (e.Offset < 0 || e.Offset >= len(doc)):
		t.Fatalf("offset %d outside the document: %v", e.Offset, err)
	case !e.Truncated && e.Msg == "" && doc[e.Offset] != e.Found:
		t.Fatalf("found %q, the byte at %d is %q", e.Found, e.Offset, doc[e.Offset])
	}
}
