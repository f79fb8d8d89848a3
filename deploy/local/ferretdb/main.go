// Command ferretdb runs FerretDB 1.24.x (MongoDB wire protocol over SQLite) for the local stack.
//
// Why a wrapper and not `go install github.com/FerretDB/FerretDB/cmd/ferretdb@v1.24.x`:
// that binary (and also `go build` of that package from another module, since the main
// package still belongs to the FerretDB module) panics at start-up on its version check,
// because the generated build/version/version.txt is not part of the published module.
// The embeddable package github.com/FerretDB/FerretDB/ferretdb skips that check when the
// main module is not FerretDB itself, so this small main uses it instead.
//
// Flags mirror the upstream ones that the stack needs:
//
//	ferretdb --listen-addr=127.0.0.1:27117 --sqlite-url=file:/path/to/dir/ [--log-level=error]
//
// The stack runs it with --log-level=error: at warn level FerretDB logs every unsupported
// command, e.g. the endSessions that each pymongo client sends when it closes.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func main() {
	listenAddr := flag.String("listen-addr", "127.0.0.1:27017", "TCP address to listen on")
	sqliteURL := flag.String("sqlite-url", "file:data/", "SQLite URI (a directory, must end with /)")
	logLevel := flag.String("log-level", "info", "log level: debug, info, warn, error")
	showVersion := flag.Bool("version", false, "print the FerretDB module version and exit")
	flag.Parse()

	if *showVersion {
		fmt.Println(ferretDBVersion())
		return
	}

	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		fmt.Fprintf(os.Stderr, "bad --log-level %q: %v\n", *logLevel, err)
		os.Exit(2)
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))

	f, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: *listenAddr},
		Logger:    logger,
		Handler:   "sqlite",
		SQLiteURL: *sqliteURL,
	})
	if err != nil {
		logger.Error("cannot start FerretDB", "error", err)
		os.Exit(1)
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	// always print where it listens, whatever the log level
	fmt.Fprintf(os.Stderr, "%s listening on %s (sqlite %s, log level %s)\n",
		ferretDBVersion(), f.MongoDBURI(), *sqliteURL, level)
	if err := f.Run(ctx); err != nil {
		logger.Error("FerretDB stopped with an error", "error", err)
		os.Exit(1)
	}
	fmt.Fprintln(os.Stderr, "FerretDB stopped")
}

// ferretDBVersion reports the FerretDB module version compiled in (from go.mod).
func ferretDBVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			if d.Path == "github.com/FerretDB/FerretDB" {
				return "FerretDB " + d.Version
			}
		}
	}
	return "FerretDB (unknown version)"
}
