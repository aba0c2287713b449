// Package facts reads the live state of nodes. A Fact is a POSIX sh command
// plus a parser returning a typed value (PathInfo, MountInfo, FileContent,
// UserIDs, TreeDigest, …); "absent" is a value, distinct from "present but
// of the wrong kind". The facts a plan needs from one node are joined into
// one script and gathered in one round trip (Gather); Set caches them and
// fetches a missed fact lazily, so a step that needs more detail (a tree
// manifest when digests differ) costs a second round trip only then.
//
// It must not decide anything: deciding is the steps' job.
package facts
