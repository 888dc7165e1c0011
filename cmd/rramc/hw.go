package main

import (
	"context"
	"fmt"

	"github.com/rramc/rramc/hwsim"
)

func init() {
	badInputErrors = append(badInputErrors, hwsim.ErrInvalidHW)
	register(&command{name: "hw", summary: "hardware descriptions: 'hw defaults' prints the default one, 'hw check FILE' validates one", run: runHW})
}

func runHW(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "hw", "defaults | check FILE.json")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	switch {
	case fs.NArg() == 1 && fs.Arg(0) == "defaults":
		b, err := hwsim.Defaults().JSON()
		if err != nil {
			return err
		}
		_, err = e.stdout.Write(b)
		return err
	case fs.NArg() == 2 && fs.Arg(0) == "check":
		h, err := hwsim.LoadHW(fs.Arg(1))
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "%s: valid (%q, crossbar %dx%d, OU %dx%d, %d-bit ADC, %.0f MHz)\n",
			fs.Arg(1), h.Name, h.XbarRows, h.XbarCols, h.OURows, h.OUCols, h.ADCBits, h.ClockMHz)
		return nil
	}
	return usagef("hw: want 'defaults' or 'check FILE.json'")
}
