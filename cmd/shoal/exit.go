package main

import "strconv"

// Exit codes, as SPEC promises them.
const (
	exitOK      = 0
	exitError   = 1
	exitChanges = 2 // plan --detailed-exitcode: there are changes
	exitRefused = 3 // a conflict that would lose data, a lock held, a stale saved plan
)

// exitCode carries an exit code through cobra's error return; whatever
// the user must know has been printed already.
type exitCode int

func (e exitCode) Error() string { return "exit status " + strconv.Itoa(int(e)) }
