package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/rramc/rramc/hwsim"
)

func init() {
	badInputErrors = append(badInputErrors, hwsim.ErrInvalidHW)
	register(&command{name: "hw", summary: "hardware descriptions: 'hw defaults [--preset NAME]' prints the default one or a shipped preset, 'hw check FILE' validates one", run: runHW})
}

func runHW(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "hw", "defaults [--preset NAME] | check FILE.json|PRESET")
	preset := fs.String("preset", "", "print a shipped preset instead of the defaults: "+strings.Join(hwsim.PresetNames(), " | "))
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	switch {
	case fs.NArg() == 1 && fs.Arg(0) == "defaults":
		h := hwsim.Defaults()
		if *preset != "" {
			var err error
			if h, err = hwsim.Preset(*preset); err != nil {
				return err
			}
		}
		b, err := h.JSON()
		if err != nil {
			return err
		}
		_, err = e.stdout.Write(b)
		return err
	case fs.NArg() == 2 && fs.Arg(0) == "check":
		h, err := hwsim.LoadHWOrPreset(fs.Arg(1))
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "%s: valid (%q, crossbar %dx%d, OU %dx%d, %d-bit ADC, %.0f MHz)\n",
			fs.Arg(1), h.Name, h.XbarRows, h.XbarCols, h.OURows, h.OUCols, h.ADCBits, h.ClockMHz)
		return nil
	}
	return usagef("hw: want 'defaults' or 'check FILE.json'")
}
