package transport

import (
	"errors"
	"strings"
)

// splitConfigLine splits an ssh_config line as OpenSSH does: a keyword
// (lower-cased) separated from its arguments by blanks or one "=", then
// the arguments split at blanks outside quotes, a word starting with #
// ending the line. rest is the line after the keyword, for the keywords
// that take it whole (ProxyCommand). A blank or comment line has no
// keyword.
func splitConfigLine(line string) (keyword, rest string, args []string, err error) {
	line = strings.TrimRight(line, " \t\r\f")
	line = strings.TrimLeft(line, " \t")
	if line == "" || line[0] == '#' {
		return "", "", nil, nil
	}
	end := strings.IndexAny(line, " \t=")
	if end < 0 {
		return "", "", nil, errors.New("no argument after keyword " + line)
	}
	keyword, rest = strings.ToLower(line[:end]), strings.TrimLeft(line[end:], " \t")
	rest = strings.TrimLeft(strings.TrimPrefix(rest, "="), " \t")
	if rest == "" {
		return "", "", nil, errors.New("no argument after keyword " + keyword)
	}
	if args, err = splitArgs(rest); err != nil {
		return "", "", nil, err
	}
	if len(args) == 0 {
		return "", "", nil, errors.New("no argument after keyword " + keyword)
	}
	return keyword, rest, args, nil
}

// splitArgs is OpenSSH's argv_split: words separated by blanks, quoted
// with ' or ", backslash escaping a quote, a backslash or (outside
// quotes) a blank; a word starting with # ends the line.
func splitArgs(s string) ([]string, error) {
	var args []string
	for i := 0; i < len(s); i++ {
		if s[i] == ' ' || s[i] == '\t' {
			continue
		}
		if s[i] == '#' {
			break
		}
		var arg strings.Builder
		var quote byte
		for ; i < len(s); i++ {
			c := s[i]
			switch {
			case c == '\\' && i+1 < len(s) && (s[i+1] == '\'' || s[i+1] == '"' || s[i+1] == '\\' || quote == 0 && s[i+1] == ' '):
				i++
				arg.WriteByte(s[i])
				continue
			case quote == 0 && (c == ' ' || c == '\t'):
			case quote == 0 && (c == '"' || c == '\''):
				quote = c
				continue
			case quote != 0 && c == quote:
				quote = 0
				continue
			default:
				arg.WriteByte(c)
				continue
			}
			break
		}
		if quote != 0 {
			return nil, errors.New("invalid quotes")
		}
		args = append(args, arg.String())
	}
	return args, nil
}

// matchPattern is OpenSSH's match_pattern: * is any run of characters,
// ? any one; nothing else is special.
func matchPattern(s, pattern string) bool {
	for len(pattern) > 0 {
		switch pattern[0] {
		case '*':
			for len(pattern) > 0 && pattern[0] == '*' {
				pattern = pattern[1:]
			}
			if pattern == "" {
				return true
			}
			for i := 0; i <= len(s); i++ {
				if matchPattern(s[i:], pattern) {
					return true
				}
			}
			return false
		case '?':
			if s == "" {
				return false
			}
		default:
			if s == "" || s[0] != pattern[0] {
				return false
			}
		}
		s, pattern = s[1:], pattern[1:]
	}
	return s == ""
}

// matchPatternList is OpenSSH's match_pattern_list: s matches if some
// comma-separated pattern matches and no negated (!) one does. Host
// patterns are lower-cased first.
func matchPatternList(s, list string, lowerPatterns bool) bool {
	if lowerPatterns {
		list = strings.ToLower(list)
	}
	positive := false
	for _, p := range strings.Split(list, ",") {
		negated := strings.HasPrefix(p, "!")
		if matchPattern(s, strings.TrimPrefix(p, "!")) {
			if negated {
				return false
			}
			positive = true
		}
	}
	return positive
}

// matchHostPatterns is a Host line: one of its blank-separated patterns
// matches host and no negated one does.
func matchHostPatterns(host string, patterns []string) bool {
	matched := false
	for _, p := range patterns {
		negated := strings.HasPrefix(p, "!")
		if matchPattern(host, strings.TrimPrefix(p, "!")) {
			if negated {
				return false
			}
			matched = true
		}
	}
	return matched
}

// matchAllAlone says whether "all" at args[i] stands alone, as OpenSSH
// requires: last, after nothing but canonical or final.
func matchAllAlone(args []string, i int) bool {
	if i != len(args)-1 {
		return false
	}
	for _, a := range args[:i] {
		a = strings.ToLower(strings.TrimPrefix(a, "!"))
		if a != "canonical" && a != "final" {
			return false
		}
	}
	return i <= 1
}
