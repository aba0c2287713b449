package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/shoal-sh/shoal/lab"
)

func main() {
	lab.RunHostIfRequested()
	ctx, cancel := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer cancel()
	os.Exit(execute(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
