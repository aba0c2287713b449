package sshtest

import (
	"io"
	"net"
	"strconv"
	"time"

	"golang.org/x/crypto/ssh"
)

// forward serves a direct-tcpip channel to a loopback address, as a
// ProxyJump host does; anything else is refused.
func forward(nc ssh.NewChannel) {
	var target struct {
		Host     string
		Port     uint32
		OrigHost string
		OrigPort uint32
	}
	if err := ssh.Unmarshal(nc.ExtraData(), &target); err != nil {
		nc.Reject(ssh.ConnectionFailed, "bad direct-tcpip request")
		return
	}
	if ip := net.ParseIP(target.Host); ip == nil || !ip.IsLoopback() {
		nc.Reject(ssh.Prohibited, "the test server forwards to loopback only")
		return
	}
	addr := net.JoinHostPort(target.Host, strconv.Itoa(int(target.Port)))
	tcp, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		nc.Reject(ssh.ConnectionFailed, err.Error())
		return
	}
	ch, reqs, err := nc.Accept()
	if err != nil {
		tcp.Close()
		return
	}
	go ssh.DiscardRequests(reqs)
	done := make(chan struct{}, 2)
	go func() { io.Copy(tcp, ch); tcp.(*net.TCPConn).CloseWrite(); done <- struct{}{} }()
	go func() { io.Copy(ch, tcp); ch.CloseWrite(); done <- struct{}{} }()
	<-done
	<-done
	ch.Close()
	tcp.Close()
}
