package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
)

// Exit codes: the contract scripts and CI pipelines rely on.
const (
	exitOK        = 0
	exitFailure   = 1 // runtime failure
	exitBadInput  = 2 // bad usage, flags, model, data or hardware file
	exitAccuracy  = 3 // sim --max-accuracy-drop exceeded
	exitInterrupt = 130
)

// command is one subcommand.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, env *env, args []string) error
}

// env is what a subcommand may touch: its streams. Commands never write to
// os.Stdout directly so that tests can run them in-process.
type env struct {
	stdout, stderr io.Writer
	// interactive is true when stderr is a terminal: only then is progress shown.
	interactive bool
}

var commands = map[string]*command{}

func register(c *command) { commands[c.name] = c }

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	e := &env{stdout: os.Stdout, stderr: os.Stderr, interactive: isTerminal(os.Stderr)}
	stopProfile := startProfile(os.Stderr)
	code := runMain(ctx, e, os.Args[1:])
	stopProfile()
	os.Exit(code)
}

// runMain runs one invocation and returns its exit code.
func runMain(ctx context.Context, e *env, args []string) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		if len(args) > 1 {
			c, ok := commands[args[1]]
			if !ok {
				fmt.Fprintf(e.stderr, "rramc: help: unknown command %q\n\n", args[1])
				usage(e.stderr)
				return exitBadInput
			}
			return exitCode(e, c.run(ctx, e, []string{"--help"}))
		}
		usage(e.stdout)
		if len(args) == 0 {
			return exitBadInput
		}
		return exitOK
	}
	c, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(e.stderr, "rramc: unknown command %q\n\n", args[0])
		usage(e.stderr)
		return exitBadInput
	}
	return exitCode(e, c.run(ctx, e, args[1:]))
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "rramc: what a neural network becomes on an RRAM compute-in-memory accelerator")
	fmt.Fprintln(w, "\nUsage: rramc COMMAND [flags] [args]\n\nCommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-10s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w, "\nRun 'rramc help COMMAND' for a command's flags.")
	fmt.Fprintln(w, "Exit codes: 0 ok, 1 runtime failure, 2 bad input or usage, 3 accuracy drop over --max-accuracy-drop.")
}

// usageError marks an error in how rramc was called (flags, arguments).
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// accuracyError is returned when the simulated accuracy dropped more than allowed.
type accuracyError struct{ msg string }

func (e *accuracyError) Error() string { return e.msg }

// errHelp is returned after --help output: success, nothing else to print.
var errHelp = errors.New("help shown")

// exitCode prints err (if any) and classifies it.
func exitCode(e *env, err error) int {
	if err == nil || errors.Is(err, errHelp) {
		return exitOK
	}
	msg := err.Error()
	if !strings.HasPrefix(msg, "rramc") {
		msg = "rramc: " + msg
	}
	fmt.Fprintln(e.stderr, msg)
	var ue *usageError
	var ae *accuracyError
	switch {
	case errors.As(err, &ae):
		return exitAccuracy
	case errors.As(err, &ue), isBadInput(err):
		return exitBadInput
	case errors.Is(err, context.Canceled):
		return exitInterrupt
	}
	return exitFailure
}

// badInputErrors are the sentinels the library packages wrap around errors
// caused by their input (a malformed model, an invalid configuration...).
var badInputErrors []error

func isBadInput(err error) bool {
	for _, s := range badInputErrors {
		if errors.Is(err, s) {
			return true
		}
	}
	// A missing, unreadable or unwritable path, or a directory where a
	// file belongs (or a file where a directory does): the user's input.
	var pe *os.PathError
	var le *os.LinkError
	return (errors.As(err, &pe) || errors.As(err, &le)) && (errors.Is(err, os.ErrNotExist) || errors.Is(err, os.ErrPermission) ||
		errors.Is(err, syscall.EISDIR) || errors.Is(err, syscall.ENOTDIR) || errors.Is(err, os.ErrExist))
}

// isTerminal reports whether f is a character device (a terminal), without a
// dependency: progress lines only make sense there.
func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
