package sshtest

import (
	"errors"
	"io"
	"os/exec"
	"sync"
	"syscall"

	"golang.org/x/crypto/ssh"
)

// session serves one session channel: the first exec request runs with
// `sh -c` in its own process group (sshd makes it a session leader); a
// signal request or the client closing the channel kills that group,
// unless the server is LikeSSHD.
func (s *Server) session(nc ssh.NewChannel) {
	ch, reqs, err := nc.Accept()
	if err != nil {
		return
	}
	s.mu.Lock()
	s.sessions++
	s.open++
	s.peakOpen = max(s.peakOpen, s.open)
	s.mu.Unlock()
	// A session stops counting as open when the server closes it, as a
	// client sees it: before the channel close is sent.
	release := sync.OnceFunc(func() {
		s.mu.Lock()
		s.open--
		s.mu.Unlock()
	})
	defer ch.Close()
	defer release()

	var proc *process
	for req := range reqs {
		switch {
		case req.Type == "exec" && proc == nil:
			var payload struct{ Command string }
			if err := ssh.Unmarshal(req.Payload, &payload); err != nil {
				req.Reply(false, nil)
				continue
			}
			s.mu.Lock()
			s.commands = append(s.commands, payload.Command)
			s.mu.Unlock()
			proc, err = startProcess(payload.Command, ch)
			req.Reply(err == nil, nil)
			if err != nil {
				return
			}
			go proc.finish(ch, release)
		case req.Type == "signal" && proc != nil && !s.likeSSHD:
			proc.kill()
		default:
			if req.WantReply {
				req.Reply(false, nil)
			}
		}
	}
	// The client closed the channel (or the connection dropped).
	if proc != nil {
		if !s.likeSSHD {
			proc.kill()
		}
		<-proc.done
	}
}

type process struct {
	cmd  *exec.Cmd
	done chan struct{}
	once sync.Once
}

func startProcess(command string, ch ssh.Channel) (*process, error) {
	cmd := exec.Command("sh", "-c", command)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Stdout = ch
	cmd.Stderr = ch.Stderr()
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	go func() {
		io.Copy(stdin, ch)
		stdin.Close()
	}()
	return &process{cmd: cmd, done: make(chan struct{})}, nil
}

// finish waits for the process, reports its exit status and closes the
// channel, as sshd does.
func (p *process) finish(ch ssh.Channel, release func()) {
	defer close(p.done)
	err := p.cmd.Wait()
	status := 0
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		status = exit.ExitCode()
		if status < 0 { // killed by a signal
			status = 128 + int(syscall.SIGKILL)
		}
	}
	ch.SendRequest("exit-status", false, ssh.Marshal(struct{ Status uint32 }{uint32(status)}))
	release()
	ch.Close()
}

func (p *process) kill() {
	p.once.Do(func() { syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL) })
}
