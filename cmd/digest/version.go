package main

import (
	"context"
	"fmt"
	"runtime/debug"
	"strings"
)

// cmdVersion prints the module version and the commit digest was built
// from, as the Go toolchain recorded them: "v1.2.0" for go install
// ...@v1.2.0, "(devel)" for a build from a checkout; the commit, its time
// and "modified" for uncommitted changes when the build had VCS
// information (not with -buildvcs=false, nor with go run).
func cmdVersion(ctx context.Context, e *env, args []string) error {
	if len(args) > 0 && isHelp(args[0]) {
		fmt.Fprintln(e.stdout, "Usage: digest version\n\nPrints the module version and the commit digest was built from.")
		return nil
	}
	if len(args) > 0 {
		return usageError{fmt.Errorf("version: unexpected argument %q", args[0])}
	}
	_, err := fmt.Fprintln(e.stdout, versionLine())
	return err
}

// versionLine is the line digest version prints.
func versionLine() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "digest (no build information)"
	}
	version := bi.Main.Version
	if version == "" {
		version = "(devel)"
	}
	var rev, at string
	modified := false
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.time":
			at = s.Value
		case "vcs.modified":
			modified = s.Value == "true"
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "digest %s", version)
	if rev == "" {
		b.WriteString(", commit unknown (built without VCS information)")
	} else {
		fmt.Fprintf(&b, ", commit %s", rev)
		if at != "" {
			fmt.Fprintf(&b, " (%s)", at)
		}
		if modified {
			b.WriteString(", modified")
		}
	}
	fmt.Fprintf(&b, ", %s", bi.GoVersion)
	return b.String()
}
