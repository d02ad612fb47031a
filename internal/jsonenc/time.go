package jsonenc

import "time"

// AppendTime appends t as time.Time's MarshalJSON does (RFC 3339 with
// nanoseconds, trailing zeros trimmed, in quotes) and reports true, or
// appends nothing and reports false where MarshalJSON fails: a year
// outside [0,9999], a zone 24 hours or more off UTC. Every line and
// record the platform stores has a time: time's general formatting
// (appendInt per field, the date computed from the absolute time) was
// the largest part of their encoding after the strings.
func AppendTime(b []byte, t time.Time) ([]byte, bool) {
	_, off := t.Zone()
	if off <= -24*3600 || off >= 24*3600 {
		return b, false
	}
	// Past a day beyond [0,9999] the year is out of range anyway, and
	// the arithmetic below cannot overflow.
	const first, end = -62167219200, 253402300800 // 0000-01-01, 10000-01-01
	sec := t.Unix()
	if sec < first-86400 || sec > end+86400 {
		return b, false
	}
	sec += int64(off)
	days := sec / 86400
	if sec%86400 < 0 {
		days--
	}
	rem := int(sec - days*86400)
	year, month, day := civil(days)
	if year < 0 || year > 9999 {
		return b, false
	}
	// Written into an array, then appended once: 2 digits at a time from
	// a table, unsigned (cheaper divisions by constants).
	var buf [38]byte
	y, r := uint(year), uint(rem)
	buf[0] = '"'
	put2(buf[1:], y/100)
	put2(buf[3:], y%100)
	buf[5] = '-'
	put2(buf[6:], uint(month))
	buf[8] = '-'
	put2(buf[9:], uint(day))
	buf[11] = 'T'
	put2(buf[12:], r/3600)
	buf[14] = ':'
	put2(buf[15:], r/60%60)
	buf[17] = ':'
	put2(buf[18:], r%60)
	n := 20
	if ns := uint(t.Nanosecond()); ns != 0 {
		buf[20] = '.'
		put2(buf[21:], ns/10000000)
		put2(buf[23:], ns/100000%100)
		put2(buf[25:], ns/1000%100)
		put2(buf[27:], ns/10%100)
		buf[29] = byte('0' + ns%10)
		n = 30
		for buf[n-1] == '0' {
			n--
		}
	}
	if off == 0 {
		buf[n], buf[n+1] = 'Z', '"'
		return append(b, buf[:n+2]...), true
	}
	// The zone in minutes, its seconds dropped, as time's RFC 3339 does
	// (-30 s is "+00:00").
	zone := off / 60
	buf[n] = '+'
	if zone < 0 {
		zone, buf[n] = -zone, '-'
	}
	put2(buf[n+1:], uint(zone/60))
	buf[n+3] = ':'
	put2(buf[n+4:], uint(zone%60))
	buf[n+6] = '"'
	return append(b, buf[:n+7]...), true
}

// digits2 is "00" to "99", two bytes each.
const digits2 = "00010203040506070809101112131415161718192021222324252627282930313233343536373839404142434445464748495051525354555657585960616263646566676869707172737475767778798081828384858687888990919293949596979899"

// put2 writes v (< 100) as two digits at b[0:2].
func put2(b []byte, v uint) {
	_ = b[1]
	b[0], b[1] = digits2[2*v], digits2[2*v+1]
}

// civil returns the proleptic Gregorian date of days since 1970-01-01
// (Howard Hinnant's days_from_civil inverted, exact for any int64 day a
// year in [0,9999] can have).
func civil(days int64) (year, month, day int) {
	z := days + 719468
	era := z / 146097
	if z < 0 && z%146097 != 0 {
		era--
	}
	doe := z - era*146097                                  // [0, 146096]
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365 // [0, 399]
	doy := doe - (365*yoe + yoe/4 - yoe/100)               // [0, 365]
	mp := (5*doy + 2) / 153                                // [0, 11], from March
	day = int(doy - (153*mp+2)/5 + 1)
	month = int(mp + 3)
	if mp >= 10 {
		month = int(mp - 9)
	}
	year = int(yoe + era*400)
	if month <= 2 {
		year++
	}
	return year, month, day
}
