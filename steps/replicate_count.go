package steps

// tarCounter counts the regular files in a tar stream fed to it in
// pieces of any size, reading only the headers.
type tarCounter struct {
	files  int64
	skip   int64 // entry data (padded to blocks) still to pass over
	header [512]byte
	filled int
}

// feed reads p and returns the files counted so far.
func (t *tarCounter) feed(p []byte) int64 {
	for len(p) > 0 {
		if t.skip > 0 {
			k := min(int64(len(p)), t.skip)
			t.skip -= k
			p = p[k:]
			continue
		}
		k := copy(t.header[t.filled:], p)
		t.filled += k
		p = p[k:]
		if t.filled < len(t.header) {
			break
		}
		t.filled = 0
		t.readHeader()
	}
	return t.files
}

func (t *tarCounter) readHeader() {
	h := t.header[:]
	if h[0] == 0 && h[124] == 0 {
		return // end-of-archive or padding block
	}
	switch h[156] {
	case '0', 0, '1', '7':
		t.files++ // regular files and hard links, as find -type f counts them
	}
	t.skip = (tarNumber(h[124:136]) + 511) / 512 * 512
}

// tarNumber reads a tar numeric field: octal text, or base-256 when the
// high bit of its first byte is set (GNU, for sizes over 8 GiB).
func tarNumber(field []byte) int64 {
	if len(field) > 0 && field[0]&0x80 != 0 {
		var n int64
		for i, b := range field {
			if i == 0 {
				b &= 0x7f
			}
			n = n<<8 | int64(b)
		}
		return n
	}
	var n int64
	for _, b := range field {
		if b >= '0' && b <= '7' {
			n = n*8 + int64(b-'0')
		} else if b == 0 || (b == ' ' && n > 0) {
			break
		}
	}
	return n
}
