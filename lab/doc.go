// Package lab starts throwaway local hosts that run real OpenSSH, for trying
// configs, end-to-end tests and benchmarks on one Linux machine (as root).
//
// Each host is this binary re-executed in new mount, pid, uts and network
// namespaces (see RunHostIfRequested): a veth into the lab's bridge (the first
// free shoal-labN, 10.77.N.0/24)
// with a fixed address and MAC, an overlay of the machine's / whose upper
// layer lives on a tmpfs (the machine's /root, /home and /work hidden, its
// SSH host keys whited out), fresh /proc, /sys, /dev, /run and /tmp, and
// finally `sshd -D -e` as PID 1 with a host key of its own. Hosts are
// "files" (exporting /srv/nas), web1..webN (mounting it at /mnt/nas) and
// any extra hosts named with Options.Extra (`--host dns`): plain hosts,
// .220 and up, with a role of their name, for a DNS server, a database or
// a backup node.
//
// Up writes everything a client needs into the lab directory (key,
// known_hosts, ssh_config) and a state file from which Down removes exactly
// what Up created. The package must not touch anything outside its bridge,
// its veths, its processes and its directory, and must never route the lab
// hosts anywhere but the bridge.
//
// A lab is for testing, not a security boundary: its hosts run as this
// machine's root (in namespaces, with /proc/sys read-only).
package lab
