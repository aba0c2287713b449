package block

import (
	"path"
	"strings"
	"unicode/utf8"
)

// A path label may be a pattern: `sites/*/files` names every folder
// `files` one level below a folder of `sites`. In each segment `*`
// matches any run of characters, `?` one character and `[...]` one of a
// set, as path.Match says; no wildcard ever matches a `/`, so a pattern
// names folders at exactly its own depth. Patterns are expanded against
// the primary's tree when a plan is made.

// IsPattern reports whether p holds a wildcard: *, ? or [.
func IsPattern(p string) bool { return strings.ContainsAny(p, `*?[`) }

// PatternProblem says what is wrong with p as a pattern, written as the
// user wrote it (before cleaning, which would fold `*/..` away), or "".
func PatternProblem(p string) string {
	for _, seg := range strings.Split(p, "/") {
		switch {
		case strings.Contains(seg, "**"):
			return "uses **: a * matches within one folder name, never across levels; write one * per level"
		case seg == "..":
			return `holds ".."; a pattern names folders below the site root`
		case IsPattern(seg):
			if _, ok := segmentTokens(seg); !ok {
				return "holds an unclosed [ or a trailing \\"
			}
		}
	}
	return ""
}

// Match reports whether the clean relative path p is a match of pattern:
// as many segments, each matching (path.Match) the pattern's.
func Match(pattern, p string) bool {
	ps, xs := strings.Split(pattern, "/"), strings.Split(p, "/")
	if len(ps) != len(xs) {
		return false
	}
	return prefixMatches(ps, xs)
}

// WithinMatch reports whether the clean relative path p is a match of
// pattern or lies inside one. For a pattern without wildcards it is
// Within.
func WithinMatch(p, pattern string) bool {
	ps, xs := strings.Split(pattern, "/"), strings.Split(p, "/")
	if len(xs) < len(ps) {
		return false
	}
	return prefixMatches(ps, xs[:len(ps)])
}

func prefixMatches(patterns, segs []string) bool {
	for i, pat := range patterns {
		if ok, err := path.Match(pat, segs[i]); err != nil || !ok {
			return false
		}
	}
	return true
}

// Covers reports whether every path p names (a path, or each match of a
// pattern) is a match of outer or lies inside one. For segments it cannot
// decide it answers false.
func Covers(outer, p string) bool {
	os, ps := strings.Split(outer, "/"), strings.Split(p, "/")
	if len(ps) < len(os) {
		return false
	}
	for i, o := range os {
		s := ps[i]
		switch {
		case s == o, o == "*":
		case !IsPattern(s):
			if ok, err := path.Match(o, s); err != nil || !ok {
				return false
			}
		default:
			return false
		}
	}
	return true
}

// MayNest reports whether some path a names and some path b names are
// equal or nested, either way. Without wildcards it is Within either
// way; with them it is decided segment by segment (two bracket sets are
// taken to share a character).
func MayNest(a, b string) bool {
	as, bs := strings.Split(a, "/"), strings.Split(b, "/")
	n := min(len(as), len(bs))
	for i := 0; i < n; i++ {
		if !segmentsIntersect(as[i], bs[i]) {
			return false
		}
	}
	return true
}

// token is one element of a segment pattern: a literal character, `?`,
// `*`, or a bracket set kept as written (tested with path.Match).
type token struct {
	kind  byte // 'c' literal, '?' any one, '*' any run, '[' set
	char  rune
	class string
}

// segmentTokens splits one segment pattern; false when it is malformed.
func segmentTokens(seg string) ([]token, bool) {
	var out []token
	for i := 0; i < len(seg); {
		r, size := utf8.DecodeRuneInString(seg[i:])
		switch r {
		case '*', '?':
			out = append(out, token{kind: byte(r)})
			i += size
		case '\\':
			if i+size >= len(seg) {
				return nil, false
			}
			next, n := utf8.DecodeRuneInString(seg[i+size:])
			out = append(out, token{kind: 'c', char: next})
			i += size + n
		case '[':
			end := classEnd(seg, i)
			if end < 0 {
				return nil, false
			}
			class := seg[i : end+1]
			if _, err := path.Match(class, "x"); err != nil {
				return nil, false
			}
			out = append(out, token{kind: '[', class: class})
			i = end + 1
		default:
			out = append(out, token{kind: 'c', char: r})
			i += size
		}
	}
	return out, true
}

// classEnd finds the `]` closing the set opened at seg[open], or -1.
func classEnd(seg string, open int) int {
	i := open + 1
	if i < len(seg) && seg[i] == '^' {
		i++
	}
	for first := true; i < len(seg); first = false {
		switch {
		case seg[i] == '\\':
			i += 2
			continue
		case seg[i] == ']' && !first:
			return i
		}
		i++
	}
	return -1
}

// segmentsIntersect reports whether one folder name matches both
// segment patterns: a walk of the two patterns side by side, consuming
// one character that both accept at each step.
func segmentsIntersect(a, b string) bool {
	ta, okA := segmentTokens(a)
	tb, okB := segmentTokens(b)
	if !okA || !okB {
		return a == b
	}
	type state struct{ i, j int }
	seen := map[state]bool{}
	var walk func(i, j int) bool
	walk = func(i, j int) bool {
		s := state{i, j}
		if seen[s] {
			return false
		}
		seen[s] = true
		if i == len(ta) && j == len(tb) {
			return true
		}
		if i < len(ta) && ta[i].kind == '*' && walk(i+1, j) {
			return true
		}
		if j < len(tb) && tb[j].kind == '*' && walk(i, j+1) {
			return true
		}
		if i == len(ta) || j == len(tb) || !tokensShareChar(ta[i], tb[j]) {
			return false
		}
		ni, nj := i+1, j+1
		if ta[i].kind == '*' {
			ni = i
		}
		if tb[j].kind == '*' {
			nj = j
		}
		return (ni != i || nj != j) && walk(ni, nj)
	}
	return walk(0, 0)
}

// tokensShareChar reports whether some character satisfies both tokens.
func tokensShareChar(x, y token) bool {
	if x.kind != 'c' {
		x, y = y, x
	}
	switch {
	case x.kind != 'c':
		return true // wildcards and sets: assume they share one
	case y.kind == 'c':
		return x.char == y.char
	case y.kind == '[':
		ok, _ := path.Match(y.class, string(x.char))
		return ok
	}
	return true
}
