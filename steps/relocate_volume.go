package steps

import (
	"fmt"
	"strconv"

	"github.com/shoal-sh/shoal/plan"
)

// volume prints an amount of data the way plans show it: "1,204 files (61 MiB)".
func volume(p plan.Progress) string {
	noun := "files"
	if p.Files == 1 {
		noun = "file"
	}
	return fmt.Sprintf("%s %s (%s)", groupThousands(p.Files), noun, binaryBytes(p.Bytes))
}

func groupThousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	for i := len(s) - 3; i > 0 && s[i-1] != '-'; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// binaryBytes prints n in B, KiB, MiB, GiB or TiB, one decimal below 10.
func binaryBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	v, suffix := float64(n), ""
	for _, u := range []string{"KiB", "MiB", "GiB", "TiB"} {
		v /= unit
		suffix = u
		if v < unit {
			break
		}
	}
	if v < 10 {
		return fmt.Sprintf("%.1f %s", v, suffix)
	}
	return fmt.Sprintf("%.0f %s", v, suffix)
}
