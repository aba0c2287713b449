package tui

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shoal-sh/shoal/plan"
)

// busyPlan is ten web nodes, each replicating 32 MiB.
func busyPlan() *plan.Plan {
	p := &plan.Plan{Version: plan.PlanVersion}
	for i := 1; i <= 10; i++ {
		node := fmt.Sprintf("web%d", i)
		p.Nodes = append(p.Nodes, &plan.NodeState{Name: node})
		p.Changes = append(p.Changes, &plan.Change{ID: node + "/replicate//var/www/dolphin", Node: node,
			Kind: "replicate", Target: "/var/www/dolphin", Action: plan.Create, Total: plan.Progress{Bytes: 32 << 20, Files: 1024}})
	}
	return p
}

// busyExecutor does real work on every node at once, reporting progress
// every 32 KiB and an output line every 2 MiB, far more often than a real
// transfer does.
func busyExecutor(p *plan.Plan) Executor {
	return func(_ context.Context, hook plan.Hook, _ <-chan struct{}) plan.Summary {
		begin := time.Now()
		chunk := make([]byte, 32<<10)
		var wg sync.WaitGroup
		for _, c := range p.Changes {
			wg.Add(1)
			go func() {
				defer wg.Done()
				hook.StepStart(c)
				h := sha256.New()
				var done plan.Progress
				for done.Bytes < c.Total.Bytes {
					h.Write(chunk)
					done.Bytes += int64(len(chunk))
					done.Files++
					hook.StepProgress(c, done)
					if done.Files%64 == 0 {
						hook.StepOutput(c, fmt.Sprintf("%x", h.Sum(nil)))
					}
				}
				hook.StepDone(c, nil, time.Since(begin))
				hook.NodeDone(c.Node, nil)
			}()
		}
		wg.Wait()
		return plan.Summary{Done: len(p.Changes), Elapsed: time.Since(begin)}
	}
}

func BenchmarkApplyPlain(b *testing.B) {
	p := busyPlan()
	exec := busyExecutor(p)
	for b.Loop() {
		exec(b.Context(), NewPlain(io.Discard, RenderOptions{NoColor: true}), nil)
	}
}

func BenchmarkApplyTUI(b *testing.B) {
	p := busyPlan()
	exec := busyExecutor(p)
	for b.Loop() {
		res, err := Run(b.Context(), p, exec, Options{In: strings.NewReader("y"), Out: io.Discard})
		if err != nil || !res.Approved {
			b.Fatalf("Run = %+v, %v", res, err)
		}
	}
}
