package transport

import (
	"bytes"
	"errors"
	"io/fs"
	"net"
	"os"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
)

// credentials are the keys offered to one endpoint, with a record of what
// was offered and what was skipped for the error message.
type credentials struct {
	signers []ssh.Signer
	tried   []string
	skipped []string
	agent   net.Conn // nil without an agent; closed after the handshake
}

// loadCredentials gathers the ssh-agent's keys (SSH_AUTH_SOCK) and e's
// identity files. Named identity files come first, as OpenSSH offers them;
// otherwise the agent's keys do. Encrypted files are skipped with a note:
// shoal never prompts.
func loadCredentials(e endpoint) *credentials {
	c := &credentials{}
	var agentSigners, fileSigners []ssh.Signer
	var fileNames []string
	if sock := os.Getenv("SSH_AUTH_SOCK"); sock != "" {
		if conn, err := net.Dial("unix", sock); err == nil {
			signers, err := agent.NewClient(conn).Signers()
			if err == nil && len(signers) > 0 {
				c.agent = conn
				agentSigners = signers
			} else {
				conn.Close()
			}
		}
	}
	for _, path := range e.identityFiles {
		signer, why := readIdentity(path)
		switch {
		case signer != nil:
			fileSigners = append(fileSigners, signer)
			fileNames = append(fileNames, tildeHome(path))
		case why == "missing" && !e.explicitIDs:
			// OpenSSH's default files are tried only when present.
		default:
			c.skipped = append(c.skipped, tildeHome(path)+" ("+why+")")
		}
	}
	addAgent := func() {
		if len(agentSigners) > 0 {
			c.tried = append(c.tried, "agent")
			c.signers = appendNew(c.signers, agentSigners...)
		}
	}
	addFiles := func() {
		c.tried = append(c.tried, fileNames...)
		c.signers = appendNew(c.signers, fileSigners...)
	}
	if e.explicitIDs {
		addFiles()
		addAgent()
	} else {
		addAgent()
		addFiles()
	}
	return c
}

// readIdentity parses an unencrypted private key file, or says why not.
func readIdentity(path string) (ssh.Signer, string) {
	pem, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, "missing"
	}
	if err != nil {
		return nil, "unreadable"
	}
	signer, err := ssh.ParsePrivateKey(pem)
	var encrypted *ssh.PassphraseMissingError
	if errors.As(err, &encrypted) {
		return nil, "encrypted; load it into ssh-agent"
	}
	if err != nil {
		return nil, "not a private key"
	}
	return signer, ""
}

// appendNew appends the signers whose public keys are not already in list.
func appendNew(list []ssh.Signer, more ...ssh.Signer) []ssh.Signer {
	for _, s := range more {
		dup := false
		for _, have := range list {
			if bytes.Equal(have.PublicKey().Marshal(), s.PublicKey().Marshal()) {
				dup = true
				break
			}
		}
		if !dup {
			list = append(list, s)
		}
	}
	return list
}

func (c *credentials) methods() []ssh.AuthMethod {
	if len(c.signers) == 0 {
		return nil
	}
	return []ssh.AuthMethod{ssh.PublicKeys(c.signers...)}
}

func (c *credentials) close() {
	if c.agent != nil {
		c.agent.Close()
	}
}
