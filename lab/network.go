package lab

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os/exec"
	"strings"
)

// labNet is one lab's network: bridge shoal-lab<N> with 10.77.<N>.1/24, no
// route out, no NAT. Every address is fixed, and so is every MAC (derived
// from the address). The first lab gets N=0; a lab started while another
// runs (say, by tests of two packages at once) takes the next free N.
type labNet struct {
	Index int
}

const (
	maxLabs    = 16  // labs on one machine at once
	firstWeb   = 11  // web1 is .11
	maxWeb     = 200 // web hosts get .11 up to .210
	firstExtra = 220 // extra hosts get .220 up to .249
	maxExtra   = 30
)

func (n labNet) bridge() string          { return fmt.Sprintf("shoal-lab%d", n.Index) }
func (n labNet) addr(last int) string    { return fmt.Sprintf("10.77.%d.%d", n.Index, last) }
func (n labNet) gateway() string         { return n.addr(1) }
func (n labNet) files() string           { return n.addr(5) }
func (n labNet) web(i int) string        { return n.addr(firstWeb - 1 + i) }
func (n labNet) extra(i int) string      { return n.addr(firstExtra + i) }
func (n labNet) veth(host string) string { return fmt.Sprintf("shoal%d-%s", n.Index, host) } // 15 bytes at most

// macFor returns the locally administered MAC 02:00:<the four octets of ip>.
func macFor(ip string) string {
	v4 := net.ParseIP(ip).To4()
	if v4 == nil {
		panic("lab: macFor needs an IPv4 address, got " + ip)
	}
	return fmt.Sprintf("02:00:%02x:%02x:%02x:%02x", v4[0], v4[1], v4[2], v4[3])
}

// errBridgeExists is `ip link add` finding the bridge taken.
var errBridgeExists = errors.New("bridge exists")

// claimNet creates the first free lab bridge from network first on.
// Creating it is what claims it, so two labs starting at once never get the
// same network.
func claimNet(first int) (labNet, error) {
	for i := first; i < maxLabs; i++ {
		n := labNet{Index: i}
		err := createBridge(n)
		if errors.Is(err, errBridgeExists) {
			continue
		}
		return n, err
	}
	return labNet{}, fmt.Errorf("all %d lab bridges shoal-lab0..%d exist: stop a lab (shoal lab down) or delete a stale bridge (ip link del shoal-labN)", maxLabs, maxLabs-1)
}

func createBridge(n labNet) error {
	out, err := exec.Command("ip", "link", "add", "name", n.bridge(), "type", "bridge").CombinedOutput()
	if err != nil {
		if strings.Contains(string(out), "File exists") {
			return errBridgeExists
		}
		return fmt.Errorf("creating bridge %s: %v: %s", n.bridge(), err, bytes.TrimSpace(out))
	}
	err = ipBatch(
		"link set "+n.bridge()+" address "+macFor(n.gateway()),
		"addr add "+n.gateway()+"/24 dev "+n.bridge(),
		"link set "+n.bridge()+" up",
	)
	if err != nil {
		return fmt.Errorf("setting up bridge %s: %w", n.bridge(), err)
	}
	return nil
}

// attachHosts gives every started host its eth0, plugged into the bridge,
// and tells the bridge every host's MAC.
func attachHosts(n labNet, hosts []hostState) error {
	var lines, addrs []string
	for _, h := range hosts {
		addrs = append(addrs, h.Addr)
		veth := n.veth(h.Name)
		lines = append(lines,
			fmt.Sprintf("link add %s type veth peer name eth0 address %s netns %d", veth, macFor(h.Addr), h.PID),
			fmt.Sprintf("link set %s master %s up", veth, n.bridge()),
		)
	}
	if err := ipBatch(append(lines, staticNeighbours(n.bridge(), addrs)...)...); err != nil {
		return fmt.Errorf("plugging hosts into %s: %w", n.bridge(), err)
	}
	return nil
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

// linkExists reports whether a network interface of that name exists.
func linkExists(name string) bool {
	return exec.Command("ip", "link", "show", "dev", name).Run() == nil
}

// deleteLink removes a link if it exists.
func deleteLink(name string) error {
	if !linkExists(name) {
		return nil
	}
	out, err := exec.Command("ip", "link", "del", "dev", name).CombinedOutput()
	// a host's end of its veth goes with its network namespace: the pair
	// may vanish between the check and the delete
	if err != nil && !strings.Contains(string(out), "Cannot find device") && !strings.Contains(string(out), "No such device") {
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
