package steps

import (
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"
)

// encodePaths writes paths as a change's parameter: a JSON list, each
// path escaped so that any bytes survive (JSON itself would replace
// invalid UTF-8): a backslash doubled, an invalid byte as \xHH.
func encodePaths(paths []string) (string, error) {
	escaped := make([]string, len(paths))
	for i, p := range paths {
		escaped[i] = escapePath(p)
	}
	b, err := json.Marshal(escaped)
	return string(b), err
}

// decodePaths reads what encodePaths wrote.
func decodePaths(s string) ([]string, error) {
	var escaped []string
	if err := json.Unmarshal([]byte(s), &escaped); err != nil {
		return nil, err
	}
	paths := make([]string, len(escaped))
	for i, e := range escaped {
		p, err := unescapePath(e)
		if err != nil {
			return nil, err
		}
		paths[i] = p
	}
	return paths, nil
}

func escapePath(p string) string {
	if utf8.ValidString(p) && !strings.Contains(p, `\`) {
		return p
	}
	var b strings.Builder
	for i := 0; i < len(p); {
		r, size := utf8.DecodeRuneInString(p[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, p[i])
		case r == '\\':
			b.WriteString(`\\`)
		default:
			b.WriteString(p[i : i+size])
		}
		i += size
	}
	return b.String()
}

func unescapePath(e string) (string, error) {
	if !strings.Contains(e, `\`) {
		return e, nil
	}
	var b strings.Builder
	for i := 0; i < len(e); i++ {
		if e[i] != '\\' {
			b.WriteByte(e[i])
			continue
		}
		switch {
		case i+1 < len(e) && e[i+1] == '\\':
			b.WriteByte('\\')
			i++
		case i+3 < len(e) && e[i+1] == 'x':
			var v byte
			if _, err := fmt.Sscanf(e[i+2:i+4], "%02x", &v); err != nil {
				return "", fmt.Errorf("bad escape in %q", e)
			}
			b.WriteByte(v)
			i += 3
		default:
			return "", fmt.Errorf("bad escape in %q", e)
		}
	}
	return b.String(), nil
}
