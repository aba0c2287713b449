package tui

import "github.com/charmbracelet/bubbles/key"

// keyMap is every key the UI answers to.
type keyMap struct {
	Confirm   key.Binding
	Cancel    key.Binding
	ScrollUp  key.Binding
	ScrollDn  key.Binding
	Stop      key.Binding
	Interrupt key.Binding
	Next      key.Binding
	Prev      key.Binding
	OpenLog   key.Binding
	CloseLog  key.Binding
	Help      key.Binding
}

func newKeyMap() keyMap {
	return keyMap{
		Confirm:   key.NewBinding(key.WithKeys("y", "Y", "enter"), key.WithHelp("y/enter", "apply")),
		Cancel:    key.NewBinding(key.WithKeys("n", "N", "q", "esc", "ctrl+c"), key.WithHelp("n/q/esc", "cancel")),
		ScrollUp:  key.NewBinding(key.WithKeys("up", "k", "pgup"), key.WithHelp("↑/pgup", "scroll up")),
		ScrollDn:  key.NewBinding(key.WithKeys("down", "j", "pgdown", " "), key.WithHelp("↓/pgdn", "scroll down")),
		Stop:      key.NewBinding(key.WithKeys("q"), key.WithHelp("q", "stop after running steps")),
		Interrupt: key.NewBinding(key.WithKeys("ctrl+c"), key.WithHelp("ctrl+c", "stop; again: what runs")),
		Next:      key.NewBinding(key.WithKeys("down", "tab", "j"), key.WithHelp("↓/tab", "next node")),
		Prev:      key.NewBinding(key.WithKeys("up", "shift+tab", "k"), key.WithHelp("↑/shift+tab", "previous node")),
		OpenLog:   key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "node log")),
		CloseLog:  key.NewBinding(key.WithKeys("esc", "enter", "q"), key.WithHelp("esc", "back")),
		Help:      key.NewBinding(key.WithKeys("?"), key.WithHelp("?", "help")),
	}
}

// helpKeys adapts a set of bindings to help.KeyMap.
type helpKeys struct {
	short []key.Binding
	full  [][]key.Binding
}

func (h helpKeys) ShortHelp() []key.Binding  { return h.short }
func (h helpKeys) FullHelp() [][]key.Binding { return h.full }

func (k keyMap) reviewHelp() helpKeys {
	return helpKeys{
		short: []key.Binding{k.Confirm, k.Cancel, k.ScrollDn, k.Help},
		full:  [][]key.Binding{{k.Confirm, k.Cancel}, {k.ScrollUp, k.ScrollDn}, {k.Help}},
	}
}

func (k keyMap) liveHelp() helpKeys {
	return helpKeys{
		short: []key.Binding{k.Next, k.OpenLog, k.Stop, k.Help},
		full:  [][]key.Binding{{k.Next, k.Prev, k.OpenLog}, {k.Stop, k.Interrupt}, {k.Help}},
	}
}

func (k keyMap) logHelp() helpKeys {
	return helpKeys{
		short: []key.Binding{k.CloseLog, k.ScrollUp, k.ScrollDn},
		full:  [][]key.Binding{{k.CloseLog}, {k.ScrollUp, k.ScrollDn}},
	}
}
