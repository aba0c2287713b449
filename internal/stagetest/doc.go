// Package stagetest holds what the fixtures' tests share: running a
// fixture's stage.sh the way the lab does (`sh -s -- ARGS`, the script on
// stdin) from the fixture's own folder, the checks that it refuses an
// existing root and bad arguments, listing and sizing the tree it staged,
// and loading the fixture's cluster configuration with every block kind
// shoal knows, failing on any diagnostic. Each fixture keeps its own
// assertions about what its tree must hold; this package only gives them
// the means. It is for tests only.
package stagetest
