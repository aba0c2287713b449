// Package facts reads the live state of nodes. A Fact is a POSIX sh command
// plus a parser returning a typed value (PathInfo, MountInfo, FileContent,
// UserIDs, TreeDigest, GlobResult, …); "absent" is a value, distinct from "present but
// of the wrong kind". The facts a plan needs from one node are joined into
// one script and gathered in one round trip (Gather); facts of one kind
// that are Batchers (Path, Ownership) are answered by one command for the
// kind, so a node's hundreds of facts cost a few forks, not a few each,
// with output identical to their own commands. Set caches them and
// fetches a missed fact lazily, so a step that needs more detail (a tree
// manifest when digests differ) costs a second round trip only then.
//
// Facts never follow the symlink they describe: a tree whose root is a
// link is reported as one, not entered; a folder reached through a link
// names it (Folder); symlinks in a folder that may lead out of it are
// listed (Path). It must not decide anything: deciding is the steps' job.
package facts
