package shell

import (
	"fmt"
	"regexp"
	"strings"
)

// Var binds one value to a shell variable of a Script.
type Var struct {
	Name, Value string
}

// Bind names a value for a Script.
func Bind(name, value string) Var { return Var{name, value} }

// BindLines binds a list as one newline-separated value; the body reads
// it with `printf '%s\n' "$name" | while IFS= read -r x; do ...; done`.
// No value may hold a newline (callers check paths for control characters).
func BindLines(name string, values []string) Var {
	return Var{name, strings.Join(values, "\n")}
}

var varName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// Script is how every remote script is built: the values bound once, each
// quoted, as variable assignments, then a constant body that uses them
// only as "$name". The body is code written in this repository, never
// assembled from input, so what a script does is fixed by its body and
// its inputs are data; goldens of each body are checked by shellcheck.
func Script(body string, vars ...Var) string {
	var b strings.Builder
	for _, v := range vars {
		if !varName.MatchString(v.Name) {
			panic(fmt.Sprintf("shell: %q is not a variable name", v.Name)) // a name in code, not input
		}
		b.WriteString(v.Name)
		b.WriteByte('=')
		b.WriteString(Quote(v.Value))
		b.WriteByte('\n')
	}
	b.WriteString(body)
	return b.String()
}
