package lab

import (
	"bytes"
	"fmt"
	"net"
	"os/exec"
	"strconv"
	"strings"
)

// The lab network: one bridge, no route out, no NAT. Every address is
// fixed, and so is every MAC (derived from the address), so a lab started
// right after another one never meets stale neighbour entries.
const (
	bridgeName = "shoal-lab0"
	subnet     = "10.77.0."
	bridgeAddr = subnet + "1"
	filesAddr  = subnet + "5"
	firstWeb   = 11
	maxWeb     = 200 // web hosts get .11 up to .210
)

func webAddr(i int) string { return subnet + strconv.Itoa(firstWeb-1+i) }

// macFor returns the locally administered MAC 02:00:<the four octets of ip>.
func macFor(ip string) string {
	v4 := net.ParseIP(ip).To4()
	if v4 == nil {
		panic("lab: macFor needs an IPv4 address, got " + ip)
	}
	return fmt.Sprintf("02:00:%02x:%02x:%02x:%02x", v4[0], v4[1], v4[2], v4[3])
}

// vethName is the machine-side end of a host's veth pair (15 bytes at most).
func vethName(host string) string { return "shoal-" + host }

func bridgeExists() bool {
	return exec.Command("ip", "link", "show", "dev", bridgeName).Run() == nil
}

func createBridge() error {
	return ipBatch(
		"link add "+bridgeName+" type bridge",
		"link set "+bridgeName+" address "+macFor(bridgeAddr),
		"addr add "+bridgeAddr+"/24 dev "+bridgeName,
		"link set "+bridgeName+" up",
	)
}

// attachHosts gives every started host its eth0, plugged into the bridge,
// and tells the bridge every host's MAC.
func attachHosts(hosts []hostState) error {
	var lines, addrs []string
	for _, h := range hosts {
		addrs = append(addrs, h.Addr)
		veth := vethName(h.Name)
		lines = append(lines,
			fmt.Sprintf("link add %s type veth peer name eth0 address %s netns %d", veth, macFor(h.Addr), h.PID),
			fmt.Sprintf("link set %s master %s up", veth, bridgeName),
		)
	}
	return ipBatch(append(lines, staticNeighbours(bridgeName, addrs)...)...)
}

// staticNeighbours are permanent neighbour entries for lab addresses. With
// them nobody waits for ARP: a host dialled before its address is up would
// otherwise answer only at the next ARP retry, a second later, and entries
// from a previous lab would be stale.
func staticNeighbours(dev string, addrs []string) []string {
	lines := make([]string, len(addrs))
	for i, addr := range addrs {
		lines[i] = "neigh replace " + addr + " lladdr " + macFor(addr) + " dev " + dev + " nud permanent"
	}
	return lines
}

// deleteLink removes a link if it exists.
func deleteLink(name string) error {
	if exec.Command("ip", "link", "show", "dev", name).Run() != nil {
		return nil
	}
	out, err := exec.Command("ip", "link", "del", "dev", name).CombinedOutput()
	if err != nil && !strings.Contains(string(out), "Cannot find device") {
		return fmt.Errorf("deleting link %s: %v: %s", name, err, bytes.TrimSpace(out))
	}
	return nil
}

// ipBatch runs iproute2 commands in one process: `ip -batch -`.
func ipBatch(lines ...string) error {
	cmd := exec.Command("ip", "-batch", "-")
	cmd.Stdin = strings.NewReader(strings.Join(lines, "\n") + "\n")
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("ip: %v: %s", err, bytes.TrimSpace(out))
	}
	return nil
}
