package main

import (
	"errors"
	"io"
)

func evalPages(w io.Writer, args []string) error { return errors.New("pages: not implemented yet") }
