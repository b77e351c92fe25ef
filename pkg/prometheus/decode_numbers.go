package prometheus

import (
	"encoding/binary"
	"math"
	"math/bits"
	"strconv"
	"time"

	"github.com/gopulse/health/pkg/jsonscan"
)

// Timestamps and sample values as Prometheus writes them ([1700000000.123,"1.5"]) are read
// without strconv: these are the hot paths of a decode.

// fastTime decodes digits(.digits)?, at i, up to the ',' after it, as timestamp does;
// not ok for anything else (a sign, white space, an exponent, an error).
func fastTime(b []byte, i int) (ms int64, next int, ok bool) {
	start := i
	var sec int64
	if x, ok := digits8(b, i); ok {
		sec = int64(x)
		i += 8
	}
	for i < len(b) && b[i]-'0' <= 9 {
		sec = sec*10 + int64(b[i]-'0')
		i++
	}
	if n := i - start; n == 0 || n > 15 || n > 1 && b[start] == '0' {
		return 0, 0, false
	}
	ms = sec * 1000
	if i < len(b) && b[i] == '.' {
		i++
		fs := i
		var f int64
		for i < len(b) && b[i]-'0' <= 9 {
			if i-fs < 3 {
				f = f*10 + int64(b[i]-'0')
			}
			i++
		}
		switch i - fs {
		case 0:
			return 0, 0, false
		case 1:
			f *= 100
		case 2:
			f *= 10
		}
		ms += f
	}
	if i >= len(b) || b[i] != ',' {
		return 0, 0, false
	}
	return ms, i + 1, true
}

// fastValue decodes "decimal"] at i (see decimal); not ok for anything else.
func fastValue(b []byte, i int) (v float64, next int, ok bool) {
	if i >= len(b) || b[i] != '"' {
		return 0, 0, false
	}
	v, i, ok = decimal(b, i+1)
	if !ok || i+1 >= len(b) || b[i] != '"' || b[i+1] != ']' {
		return 0, 0, false
	}
	return v, i + 2, true
}

// decimal decodes -?digits(.digits)? at i with at most 19 digits, correctly rounded as
// strconv.ParseFloat does, and says where it ends. Not ok for other texts (exponents,
// NaN, Inf, longer mantissas), which are left to strconv.
func decimal(b []byte, i int) (v float64, end int, ok bool) {
	neg := i < len(b) && b[i] == '-'
	if neg {
		i++
	}
	start := i
	var m uint64
	for x, ok := digits8(b, i); ok; x, ok = digits8(b, i) {
		m = m*1e8 + x
		i += 8
	}
	for i < len(b) && b[i]-'0' <= 9 {
		m = m*10 + uint64(b[i]-'0')
		i++
	}
	digits := i - start
	frac := 0
	if i < len(b) && b[i] == '.' {
		i++
		fs := i
		for x, ok := digits8(b, i); ok; x, ok = digits8(b, i) {
			m = m*1e8 + x
			i += 8
		}
		for i < len(b) && b[i]-'0' <= 9 {
			m = m*10 + uint64(b[i]-'0')
			i++
		}
		frac = i - fs
		if frac == 0 {
			return 0, 0, false
		}
	}
	if digits == 0 || digits+frac > 19 {
		return 0, 0, false
	}
	if m <= 1<<53 {
		// the mantissa and the power of ten are exact: one division is correctly
		// rounded (the exact fast path of strconv)
		v = float64(m) / pow10[frac]
	} else {
		v = divRound(m, frac)
	}
	if neg {
		v = -v
	}
	return v, i, true
}

// timestamp decodes a time in seconds (1700000000.123) into milliseconds, from the
// digits: the first three decimals are kept, later ones dropped (as model.Time does).
func (d *decoder) timestamp() (int64, error) {
	b := d.B
	i := jsonscan.SkipWS(b, d.I)
	at := i
	neg := i < len(b) && b[i] == '-'
	if neg {
		i++
	}
	start := i
	var sec int64
	for i < len(b) && b[i]-'0' <= 9 {
		sec = sec*10 + int64(b[i]-'0')
		i++
	}
	n := i - start
	switch {
	case n == 0:
		if i < len(b) && b[i] == '"' {
			return 0, d.shapeErr(at, "a time must be a number, not a string")
		}
		return 0, d.ErrAt(i, "a time (a number)")
	case n > 1 && b[start] == '0':
		return 0, d.ErrAt(start+1, "a number (no leading zeros)")
	case n > 15:
		return 0, d.shapeErr(at, "the time %s is out of range", b[at:i])
	}
	var ms int64
	if i < len(b) && b[i] == '.' {
		i++
		fs := i
		for i < len(b) && b[i]-'0' <= 9 {
			if i-fs < 3 {
				ms = ms*10 + int64(b[i]-'0')
			}
			i++
		}
		switch i - fs {
		case 0:
			return 0, d.ErrAt(i, "a digit after '.'")
		case 1:
			ms *= 100
		case 2:
			ms *= 10
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		return 0, d.shapeErr(at, "a time in exponent form")
	}
	ms += sec * 1000
	if neg {
		ms = -ms
	}
	d.I = i
	return ms, nil
}

func msTime(ms int64) time.Time { return time.UnixMilli(ms).UTC() }

// parseFloat parses a sample value as strconv.ParseFloat does, with a fast path for plain
// decimals that needs no string.
func parseFloat(s []byte) (float64, bool) {
	if f, end, ok := decimal(s, 0); ok && end == len(s) {
		return f, true
	}
	f, err := strconv.ParseFloat(string(s), 64) // no allocation up to 32 bytes
	return f, err == nil
}

var pow10 = [...]float64{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
	1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22}

// digits8 reads the eight bytes at b[i:] as a number when they are all ASCII digits (SWAR:
// eight digits checked and combined in a few 64-bit operations).
func digits8(b []byte, i int) (uint64, bool) {
	if i < 0 || len(b)-i < 8 {
		return 0, false
	}
	v := binary.LittleEndian.Uint64(b[i:])
	if v&0xf0f0f0f0f0f0f0f0|(v+0x0606060606060606)&0xf0f0f0f0f0f0f0f0>>4 != 0x3333333333333333 {
		return 0, false
	}
	v -= 0x3030303030303030
	v = v*10 + v>>8                                                                                 // pairs of digits in bytes 0, 2, 4, 6
	v = ((v&0x000000ff000000ff)*(100+1000000<<32) + (v>>16&0x000000ff000000ff)*(1+10000<<32)) >> 32 // all eight
	return v, true
}

// pow10u are the powers of ten that fit a uint64.
var pow10u = [...]uint64{1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12,
	1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19}

// divRound is m / 10^frac (m > 0, frac <= 19) correctly rounded to a float64 (half to
// even), for mantissas too long for the exact fast path: a 128-by-64-bit division gives
// 63 or 64 bits of quotient, the remainder says whether anything is left below them.
func divRound(m uint64, frac int) float64 {
	d := pow10u[frac]
	// m·2^s < 2^64·d, so the quotient fits 64 bits, and it is at least 2^62.
	s := 63 + bits.Len64(d) - bits.Len64(m)
	var hi, lo uint64
	if s >= 64 {
		hi = m << (s - 64)
	} else {
		hi, lo = m>>(64-s), m<<s
	}
	q, r := bits.Div64(hi, lo, d)
	sh := bits.Len64(q) - 53 // 10 or 11 bits below the mantissa
	mant := q >> sh
	rest, half := q&(1<<sh-1), uint64(1)<<(sh-1)
	if rest > half || rest == half && (r != 0 || mant&1 == 1) {
		mant++
	}
	exp := sh - s + 52 // value = mant·2^(sh-s), mant in [2^52, 2^53]
	if mant == 1<<53 {
		mant >>= 1
		exp++
	}
	return math.Float64frombits(uint64(exp+1023)<<52 | mant&(1<<52-1))
}
