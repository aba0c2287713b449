package tui

import (
	"context"
	"errors"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/progress"
	"github.com/charmbracelet/bubbles/spinner"
	"github.com/charmbracelet/bubbles/viewport"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/muesli/termenv"
	"github.com/shoal-sh/shoal/plan"
)

type phase int

const (
	reviewing phase = iota
	applying
	finished
	cancelled
)

// model is the bubbletea model: the plan review, then the live apply.
type model struct {
	plan  *plan.Plan
	exec  Executor
	opts  Options
	hook  *liveHook
	now   func() time.Time
	keys  keyMap
	style styles

	ctx        context.Context
	execCtx    context.Context
	cancelExec context.CancelFunc
	stop       chan struct{}
	stopOnce   sync.Once
	execDone   chan struct{} // closed when exec returns

	width, height int
	phase         phase
	review        viewport.Model
	log           viewport.Model
	showLog       bool
	help          help.Model
	spinner       spinner.Model
	bar           progress.Model

	nodes      []*nodeRow
	byName     map[string]*nodeRow
	selected   int
	totalSteps int
	doneSteps  int
	started    time.Time
	interrupts int
	notice     string

	approved bool
	summary  plan.Summary
}

func newModel(ctx context.Context, p *plan.Plan, exec Executor, o Options, out io.Writer) *model {
	s := newStyles(out, colorWanted(o.NoColor))
	profile := termenv.Ascii
	if s.color {
		profile = termenv.ANSI
	}
	execCtx, cancelExec := context.WithCancel(ctx)
	m := &model{
		plan: p, exec: exec, opts: o, hook: newLiveHook(), now: time.Now, keys: newKeyMap(), style: s,
		ctx: ctx, execCtx: execCtx, cancelExec: cancelExec,
		stop: make(chan struct{}), execDone: make(chan struct{}),
		width: 80, height: 24,
		review:  viewport.New(80, 20),
		log:     viewport.New(80, 20),
		help:    help.New(),
		spinner: spinner.New(spinner.WithSpinner(calmSpinner), spinner.WithStyle(s.warn)),
		bar: progress.New(progress.WithoutPercentage(), progress.WithSolidFill("2"),
			progress.WithFillCharacters('━', '─'), progress.WithColorProfile(profile)),
		byName: map[string]*nodeRow{},
	}
	m.help.Styles.ShortKey = s.bold
	m.help.Styles.FullKey = s.bold
	m.help.Styles.ShortDesc, m.help.Styles.FullDesc = s.dim, s.dim
	m.help.Styles.ShortSeparator, m.help.Styles.FullSeparator = s.dim, s.dim
	m.buildRows()
	m.resize(m.width, m.height)
	return m
}

// buildRows makes one row per node with work to do, in plan order.
func (m *model) buildRows() {
	for _, g := range groupByNode(m.plan) {
		steps := 0
		for _, c := range g.changes {
			if c.Action != plan.NoOp && c.Action != plan.Conflict {
				steps++
			}
		}
		if steps == 0 {
			continue
		}
		row := &nodeRow{name: g.name, steps: steps}
		m.nodes = append(m.nodes, row)
		m.byName[g.name] = row
		m.totalSteps += steps
	}
}

func (m *model) Init() tea.Cmd {
	ctx := m.ctx
	return func() tea.Msg {
		<-ctx.Done()
		return contextDoneMsg{}
	}
}

func (m *model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.resize(msg.Width, msg.Height)
		return m, nil
	case tea.KeyMsg:
		return m, m.handleKey(msg)
	case pollMsg:
		if m.phase != applying {
			return m, nil
		}
		return m, tea.Batch(m.poll(), pollLater())
	case spinner.TickMsg:
		if m.phase != applying {
			return m, nil
		}
		var cmd tea.Cmd
		m.spinner, cmd = m.spinner.Update(msg)
		return m, cmd
	case applyDoneMsg:
		printed := m.poll()
		m.summary = msg.summary
		m.phase = finished
		return m, tea.Sequence(printed, tea.Quit)
	case contextDoneMsg:
		if m.phase == reviewing {
			m.phase = cancelled
			return m, tea.Quit
		}
	}
	return m, nil
}

func (m *model) resize(w, h int) {
	m.width, m.height = max(w, 20), max(h, 6)
	m.help.Width = m.width
	helpHeight := strings.Count(m.help.View(m.keys.reviewHelp()), "\n") + 1
	m.review.Width, m.review.Height = m.width, max(1, m.height-3-helpHeight)
	m.review.SetContent(m.planText())
	m.log.Width, m.log.Height = m.width, max(1, m.height-2)
}

func (m *model) handleKey(k tea.KeyMsg) tea.Cmd {
	switch {
	case m.phase == reviewing:
		return m.reviewKey(k)
	case m.phase == applying && m.showLog:
		if key.Matches(k, m.keys.CloseLog) {
			m.showLog = false
			return nil
		}
		if k.String() == "ctrl+c" {
			m.showLog = false
			m.interrupt()
			return nil
		}
		var cmd tea.Cmd
		m.log, cmd = m.log.Update(k)
		return cmd
	case m.phase == applying:
		m.liveKey(k)
	}
	return nil
}

func (m *model) reviewKey(k tea.KeyMsg) tea.Cmd {
	switch {
	case key.Matches(k, m.keys.Confirm):
		if len(m.plan.Conflicts()) > 0 || len(m.plan.Failed()) > 0 {
			m.notice = "Apply refuses a plan with conflicts or unread nodes; press q."
			return nil
		}
		return m.start()
	case key.Matches(k, m.keys.Cancel):
		m.phase = cancelled
		return tea.Sequence(m.printPlan(), tea.Quit)
	case key.Matches(k, m.keys.Help):
		m.help.ShowAll = !m.help.ShowAll
		m.resize(m.width, m.height)
		return nil
	}
	var cmd tea.Cmd
	m.review, cmd = m.review.Update(k)
	return cmd
}

func (m *model) liveKey(k tea.KeyMsg) {
	switch {
	case k.String() == "ctrl+c":
		m.interrupt()
	case key.Matches(k, m.keys.Stop):
		m.requestStop("Stopping: nothing new starts; the steps in flight finish.")
	case key.Matches(k, m.keys.Next):
		m.selected = min(m.selected+1, len(m.nodes)-1)
	case key.Matches(k, m.keys.Prev):
		m.selected = max(m.selected-1, 0)
	case key.Matches(k, m.keys.OpenLog):
		if len(m.nodes) > 0 {
			m.showLog = true
			m.log.SetContent(m.nodes[m.selected].logText())
			m.log.GotoBottom()
		}
	case key.Matches(k, m.keys.Help):
		m.help.ShowAll = !m.help.ShowAll
	}
}

// start approves the plan and runs the executor with the model's hook.
func (m *model) start() tea.Cmd {
	m.approved = true
	m.phase = applying
	m.notice = ""
	m.started = m.now()
	exec, ctx, hook, stop, done := m.exec, m.execCtx, m.hook, m.stop, m.execDone
	run := func() tea.Msg {
		defer close(done)
		return applyDoneMsg{summary: exec(ctx, hook, stop)}
	}
	// The plan is printed before the executor starts, so it is on screen
	// above everything the apply prints.
	return tea.Sequence(m.printPlan(), tea.Batch(run, m.spinner.Tick, pollLater()))
}

// printPlan leaves the reviewed plan in the scrollback above what follows.
func (m *model) printPlan() tea.Cmd {
	var b strings.Builder
	writePlan(&b, m.plan, m.style)
	return tea.Println(m.lines(strings.TrimSuffix(b.String(), "\n")))
}

func pollLater() tea.Cmd {
	return tea.Tick(pollEvery, func(t time.Time) tea.Msg { return pollMsg(t) })
}

// requestStop closes stop once: the executor starts nothing new.
func (m *model) requestStop(notice string) {
	m.stopOnce.Do(func() { close(m.stop) })
	m.notice = notice
}

// interrupt is Ctrl-C: first stop safely, then say what still runs, then
// interrupt the operations in flight.
func (m *model) interrupt() {
	m.interrupts++
	switch m.interrupts {
	case 1:
		m.requestStop("Stopping: nothing new starts; the steps in flight finish. Ctrl-C again lists them.")
	case 2:
		running := m.running()
		if len(running) == 0 {
			m.notice = "Nothing is running; finishing."
			return
		}
		m.notice = "Still running: " + joinComma(running) + ". Ctrl-C again interrupts them."
	default:
		m.cancelExec()
		m.notice = "Interrupting the steps in flight; the next plan finishes what they left."
	}
}

// running names the steps in flight: "web1 relocate /var/www/…".
func (m *model) running() []string {
	var out []string
	for _, n := range m.nodes {
		if n.status == running && n.current != nil {
			out = append(out, n.name+" "+stepName(n.current.Kind, n.current.Target))
		}
	}
	return out
}

// poll applies the hook's queued events and latest progress, and returns
// the command printing finished steps above the live area.
func (m *model) poll() tea.Cmd {
	events, progress := m.hook.drain()
	var printed []string
	for _, e := range events {
		if line, ok := m.apply(e); ok {
			printed = append(printed, m.fit(line))
		}
	}
	for _, n := range m.nodes {
		if n.current == nil {
			continue
		}
		if p, ok := progress[n.current.ID]; ok {
			n.progress = p
		}
	}
	if m.showLog && len(m.nodes) > 0 {
		following := m.log.AtBottom()
		m.log.SetContent(m.nodes[m.selected].logText())
		if following {
			m.log.GotoBottom()
		}
	}
	if len(printed) == 0 {
		return nil
	}
	return tea.Println(joinLines(printed))
}

// apply records one hook event; a finished step yields a line to print.
func (m *model) apply(e hookEvent) (string, bool) {
	name := e.node
	if e.change != nil {
		name = e.change.Node
	}
	n, ok := m.byName[name]
	if !ok {
		return "", false
	}
	switch e.kind {
	case stepStarted:
		n.start(e.change, m.now())
	case stepOutput:
		n.addLog(e.line)
	case stepFinished:
		m.doneSteps++
		n.finish(e.change, e.err, e.elapsed)
		if e.err != nil && !errors.Is(e.err, plan.ErrSkipped) && m.opts.FailFast {
			m.requestStop("Stopping after the first failure (--fail-fast).")
		}
		return m.finishedLine(n.name, e.change, e.err, e.elapsed, n.progress), true
	case nodeFinished:
		n.nodeDone(e.err, m.now())
	}
	return "", false
}

// abandon ends an apply the UI can no longer show: it interrupts the
// executor and waits for it, so Run never returns with work running.
func (m *model) abandon() {
	m.cancelExec()
	if m.approved {
		<-m.execDone
	}
}
