package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/digest-newsletter/digest/templates"
)

// cmdTemplates runs "digest templates init [--force] DIR": it writes the
// default templates and their README into DIR, to edit and then use with
// the templates-folder setting. It refuses to overwrite any file unless
// --force is given, and then writes nothing at all.
func cmdTemplates(ctx context.Context, e *env, args []string) error {
	fset := flag.NewFlagSet("templates", flag.ContinueOnError)
	fset.SetOutput(io.Discard)
	force := fset.Bool("force", false, "overwrite files that exist")
	fset.Usage = func() { commandHelp(fset.Output(), fset, "init DIR") }
	var pos []string
	for rest := args; ; {
		if err := parseArgs(e, fset, rest); err != nil {
			return err
		}
		if fset.NArg() == 0 {
			break
		}
		pos, rest = append(pos, fset.Arg(0)), fset.Args()[1:]
	}
	if len(pos) != 2 || pos[0] != "init" {
		return usageError{errors.New("templates: want: digest templates init [--force] DIR")}
	}
	dir := pos[1]
	names, err := fs.Glob(templates.FS(), "*")
	if err != nil {
		return fmt.Errorf("templates: %w", err)
	}
	if !*force {
		var exist []string
		for _, name := range names {
			if _, err := os.Lstat(filepath.Join(dir, name)); err == nil {
				exist = append(exist, filepath.Join(dir, name))
			}
		}
		if len(exist) > 0 {
			return usageError{fmt.Errorf("templates: %s: file exists (use --force to overwrite)", strings.Join(exist, ", "))}
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("templates: %w", err)
	}
	for _, name := range names {
		b, err := fs.ReadFile(templates.FS(), name)
		if err != nil {
			return fmt.Errorf("templates: %w", err)
		}
		file := filepath.Join(dir, name)
		if err := os.WriteFile(file, b, 0o644); err != nil {
			return fmt.Errorf("templates: %w", err)
		}
		fmt.Fprintf(e.stdout, "wrote %s\n", file)
	}
	return nil
}
