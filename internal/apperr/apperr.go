// Package apperr gives errors a code that the HTTP layer maps to a status in one table, and a
// detail that is safe to show a user. The cause stays in the log.
package apperr

import (
	"errors"
	"fmt"
)

// Code classifies an error for the user: what kind of thing went wrong.
type Code string

// The codes; httpapi maps each to one HTTP status.
const (
	Invalid      Code = "invalid"      // the request is wrong; the detail says which part and why
	NotFound     Code = "not_found"    // the thing asked for does not exist
	NotAllowed   Code = "not_allowed"  // the path exists, but not for this method
	Unauthorized Code = "unauthorized" // nobody (or nobody valid) is signed in
	Forbidden    Code = "forbidden"    // signed in, but the roles do not allow it
	Conflict     Code = "conflict"     // the request clashes with current data
	TooLarge     Code = "too_large"    // the body is over a limit
	TooMany      Code = "too_many"     // too many attempts; come back later (Retry-After)
	Unavailable  Code = "unavailable"  // a dependency (the database) is down
	Busy         Code = "busy"         // a limit sheds the request; it may come back (Retry-After)
	Internal     Code = "internal"     // our fault; the detail says nothing more
)

// Error is an error with a code, a safe detail and, optionally, the parameter at fault.
type Error struct {
	Code   Code
	Detail string
	Param  string
	Err    error // the cause, for the log only
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Detail, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Detail)
}

func (e *Error) Unwrap() error { return e.Err }

// New returns an error with a code and a detail written for the user.
func New(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Detail: fmt.Sprintf(format, args...)}
}

// BadParam reports a query parameter that is malformed, naming it.
func BadParam(param, format string, args ...any) *Error {
	return &Error{Code: Invalid, Param: param, Detail: fmt.Sprintf("parameter %q: ", param) + fmt.Sprintf(format, args...)}
}

// Wrap attaches a code and a user-safe detail to a cause.
func Wrap(code Code, err error, format string, args ...any) *Error {
	return &Error{Code: code, Detail: fmt.Sprintf(format, args...), Err: err}
}

// CodeOf returns the code of err, Internal when it has none.
func CodeOf(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return Internal
}
