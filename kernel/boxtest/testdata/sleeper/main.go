// Command sleeper sleeps for an hour, for the toolstack to interrupt: with
// the argument "handler" it handles SIGTERM and says so before it exits.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	_ "github.com/goxen/goxen/kernel"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "handler" {
		ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
		defer stop()
		fmt.Println("sleeping for an hour, with a SIGTERM handler")
		select {
		case <-ctx.Done():
			fmt.Println("SIGTERM handler: cleaning up, then exiting 0")
		case <-time.After(time.Hour):
			fmt.Println("an hour passed")
		}
		return
	}
	fmt.Println("sleeping for an hour")
	time.Sleep(time.Hour)
	fmt.Println("an hour passed")
}
