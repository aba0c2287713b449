package lab

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"fmt"
	"strings"

	"golang.org/x/crypto/ssh"
)

// keyPair is an ed25519 key in OpenSSH's file formats.
type keyPair struct {
	Private []byte // PEM, as in id_ed25519
	Public  string // one authorized_keys line, without newline
}

func newKeyPair(comment string) (keyPair, error) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return keyPair{}, fmt.Errorf("generating key %s: %w", comment, err)
	}
	block, err := ssh.MarshalPrivateKey(priv, comment)
	if err != nil {
		return keyPair{}, fmt.Errorf("encoding key %s: %w", comment, err)
	}
	sshPub, err := ssh.NewPublicKey(pub)
	if err != nil {
		return keyPair{}, fmt.Errorf("encoding public key %s: %w", comment, err)
	}
	line := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(sshPub)))
	return keyPair{Private: pem.EncodeToMemory(block), Public: line + " " + comment}, nil
}

// knownHostsLine lists a host's key under its alias and its address.
func knownHostsLine(name, addr, publicKey string) string {
	fields := strings.Fields(publicKey)
	return name + "," + addr + " " + fields[0] + " " + fields[1]
}
