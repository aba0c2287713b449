package transport

import "bytes"

// LineWriter is a Command.Stdout that hands each line of a script's output
// to Line as it arrives; Flush hands over a last line left without a
// newline.
type LineWriter struct {
	Line    func(string)
	pending []byte
}

func (w *LineWriter) Write(p []byte) (int, error) {
	w.pending = append(w.pending, p...)
	for {
		i := bytes.IndexByte(w.pending, '\n')
		if i < 0 {
			return len(p), nil
		}
		w.Line(string(w.pending[:i]))
		w.pending = w.pending[i+1:]
	}
}

// Flush passes on what is left after the last newline.
func (w *LineWriter) Flush() {
	if len(w.pending) > 0 {
		w.Line(string(w.pending))
		w.pending = nil
	}
}
