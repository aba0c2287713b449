package transport

import (
	"bytes"
	"errors"
	"io/fs"
	"net"
	"os"
	"slices"
	"strings"
	"sync"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
)

// credentials are the keys offered to one endpoint, in the order OpenSSH
// offers them, with a record of what was offered and what was left out,
// for the error message.
type credentials struct {
	signers []ssh.Signer
	skipped []string // keys not offered, with why
	agent   net.Conn // nil without an agent; closed after the handshake

	mu    sync.Mutex
	tried []string // labels of the keys offered so far, in order
}

// key is one identity OpenSSH would consider: a file (its private half,
// or only its public half), a certificate, or a key only the agent holds.
type key struct {
	label  string        // how messages name it
	public ssh.PublicKey // nil when nothing could be read
	signer ssh.Signer    // nil until a private half is found
	why    string        // why it cannot be offered, when signer stays nil
	cert   bool
	named  bool // a missing file is worth a note
}

// agentSocket is the agent socket IdentityAgent names ("" for none).
func agentSocket(setting string) string {
	switch {
	case setting == "" || setting == "SSH_AUTH_SOCK":
		return os.Getenv("SSH_AUTH_SOCK")
	case setting == "none":
		return ""
	case strings.HasPrefix(setting, "$"):
		return os.Getenv(strings.Trim(setting[1:], "{}"))
	}
	return setting
}

// loadCredentials gathers what to offer e as OpenSSH's pubkey_prepare
// does: certificates named by CertificateFile first; then the agent's
// keys that IdentityFile also names, in the agent's order (the agent signs
// for them, so a passphrase-protected key works through the agent); then
// the agent's other keys, only without IdentitiesOnly; then the identity
// files the agent does not hold, each followed by its <file>-cert.pub
// when no CertificateFile is set. Keys whose type PubkeyAcceptedAlgorithms
// leaves out are skipped. Encrypted files the agent does not hold are
// skipped with a note: shoal never prompts.
func loadCredentials(e endpoint) *credentials {
	c := &credentials{}
	agentKeys := c.dialAgent(e.agent)
	var publics []ssh.PublicKey // of c.signers

	var files []*key
	for _, id := range e.identityFiles {
		files = append(files, readIdentity(id))
		if len(e.certificateFiles) == 0 {
			if cert := readCertificate(id.path + "-cert.pub"); cert.public != nil {
				files = append(files, cert)
			}
		}
	}
	var offered []*key
	for _, path := range e.certificateFiles {
		offered = append(offered, readCertificate(path))
	}
	var otherAgentKeys []*key
	for _, a := range agentKeys {
		i := slices.IndexFunc(files, func(f *key) bool { return !f.cert && samePublicKey(f.public, a.public) })
		if i >= 0 {
			f := files[i]
			f.signer, f.label = a.signer, f.label+" (agent)"
			offered = append(offered, f)
			files = slices.Delete(files, i, i+1)
		} else if !e.identitiesOnly {
			otherAgentKeys = append(otherAgentKeys, a)
		}
	}
	offered = append(append(offered, otherAgentKeys...), files...)

	for _, k := range offered {
		if k.cert && k.signer == nil && k.public != nil {
			k.signer = certSigner(k, offered, agentKeys)
		}
		switch {
		case k.signer == nil && k.why == "missing" && !k.named:
			// OpenSSH's default files are tried only when present.
		case k.signer == nil:
			c.skipped = append(c.skipped, k.label+" ("+k.why+")")
		default:
			restricted := restrictAlgorithms(k.signer, e.pubkeyAlgorithms)
			if restricted == nil {
				c.skipped = append(c.skipped, k.label+" ("+k.public.Type()+" is not in PubkeyAcceptedAlgorithms)")
				continue
			}
			public := restricted.PublicKey()
			if !slices.ContainsFunc(publics, func(p ssh.PublicKey) bool { return samePublicKey(p, public) }) {
				publics = append(publics, public)
				c.signers = append(c.signers, &recordedSigner{MultiAlgorithmSigner: restricted, label: k.label, creds: c})
			}
		}
	}
	return c
}

// dialAgent lists the agent's keys; an agent that does not answer is
// noted and left out.
func (c *credentials) dialAgent(socket string) []*key {
	if socket == "" {
		return nil
	}
	conn, err := net.Dial("unix", socket)
	if err != nil {
		c.skipped = append(c.skipped, "agent "+socket+" (not answering)")
		return nil
	}
	client := agent.NewClient(conn)
	listed, err := client.List()
	var signers []ssh.Signer
	if err == nil {
		signers, err = client.Signers()
	}
	if err != nil || len(listed) != len(signers) {
		conn.Close()
		c.skipped = append(c.skipped, "agent "+socket+" (not answering)")
		return nil
	}
	c.agent = conn
	keys := make([]*key, len(listed))
	for i, l := range listed {
		label := "agent key " + l.Comment
		if l.Comment == "" {
			label = "agent key " + ssh.FingerprintSHA256(signers[i].PublicKey())
		}
		keys[i] = &key{label: label, public: signers[i].PublicKey(), signer: signers[i]}
	}
	return keys
}

// readIdentity reads an IdentityFile: its private half when it is not
// encrypted, and its public half (from the file, or from <file>.pub) so
// that the agent can sign for it.
func readIdentity(id identityFile) *key {
	k := &key{label: tildeHome(id.path), named: id.named}
	data, err := os.ReadFile(id.path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		k.why = "missing"
	case err != nil:
		k.why = "unreadable"
	default:
		signer, err := ssh.ParsePrivateKey(data)
		var encrypted *ssh.PassphraseMissingError
		switch {
		case err == nil:
			k.signer, k.public = signer, signer.PublicKey()
			return k
		case errors.As(err, &encrypted):
			k.why, k.public = "encrypted; load it into ssh-agent", encrypted.PublicKey
		default:
			if pub, _, _, _, err := ssh.ParseAuthorizedKey(data); err == nil {
				k.why, k.public = "a public key, and the agent does not hold it", pub
				return k
			}
			k.why = "not a private key"
		}
	}
	if k.public == nil {
		if data, err := os.ReadFile(id.path + ".pub"); err == nil {
			if pub, _, _, _, err := ssh.ParseAuthorizedKey(data); err == nil {
				k.public = pub
				if k.why == "missing" {
					k.why = "only its .pub is here, and the agent does not hold it"
				}
			}
		}
	}
	return k
}

// readCertificate reads a user certificate; public stays nil when path
// holds none.
func readCertificate(path string) *key {
	k := &key{label: tildeHome(path), cert: true, named: true, why: "no private key for this certificate"}
	data, err := os.ReadFile(path)
	if err != nil {
		k.why = "missing"
		return k
	}
	pub, _, _, _, err := ssh.ParseAuthorizedKey(data)
	if cert, ok := pub.(*ssh.Certificate); err == nil && ok && cert.CertType == ssh.UserCert {
		k.public = cert
	} else {
		k.why = "not a user certificate"
	}
	return k
}

// certSigner pairs a certificate with a private key for it: an identity
// file's or the agent's.
func certSigner(cert *key, offered, agentKeys []*key) ssh.Signer {
	c := cert.public.(*ssh.Certificate)
	for _, k := range append(slices.Clone(offered), agentKeys...) {
		if !k.cert && k.signer != nil && samePublicKey(k.public, c.Key) {
			if s, err := ssh.NewCertSigner(c, k.signer); err == nil {
				return s
			}
		}
	}
	return nil
}

func samePublicKey(a, b ssh.PublicKey) bool {
	return a != nil && b != nil && bytes.Equal(a.Marshal(), b.Marshal())
}

// restrictAlgorithms limits s to the signature algorithms accepted allows
// for its key type, or returns nil if it allows none.
func restrictAlgorithms(s ssh.Signer, accepted []string) ssh.MultiAlgorithmSigner {
	as, ok := s.(ssh.AlgorithmSigner)
	if !ok {
		return nil
	}
	keyType := s.PublicKey().Type()
	protocol := []string{keyType}
	switch keyType {
	case ssh.KeyAlgoRSA:
		protocol = []string{ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256, ssh.KeyAlgoRSA}
	case ssh.CertAlgoRSAv01:
		protocol = []string{ssh.CertAlgoRSASHA512v01, ssh.CertAlgoRSASHA256v01, ssh.CertAlgoRSAv01}
	}
	var algorithms []string
	for _, a := range protocol {
		if len(accepted) == 0 || slices.Contains(accepted, a) {
			algorithms = append(algorithms, signatureAlgorithm(a))
		}
	}
	if len(algorithms) == 0 {
		return nil
	}
	ms, err := ssh.NewSignerWithAlgorithms(as, algorithms)
	if err != nil {
		return nil
	}
	return ms
}

// signatureAlgorithm is the signature algorithm under a public key
// algorithm: a certificate's is its key's.
func signatureAlgorithm(algorithm string) string {
	base, isCert := strings.CutSuffix(algorithm, "-cert-v01@openssh.com")
	if !isCert {
		return algorithm
	}
	if strings.HasPrefix(base, "sk-") {
		return base + "@openssh.com"
	}
	return base
}

// recordedSigner notes that its key was offered: x/crypto asks a signer
// for its public key as it offers it.
type recordedSigner struct {
	ssh.MultiAlgorithmSigner
	label string
	creds *credentials
}

func (s *recordedSigner) PublicKey() ssh.PublicKey {
	s.creds.mu.Lock()
	if !slices.Contains(s.creds.tried, s.label) {
		s.creds.tried = append(s.creds.tried, s.label)
	}
	s.creds.mu.Unlock()
	return s.MultiAlgorithmSigner.PublicKey()
}

// offered lists the keys offered so far.
func (c *credentials) offered() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.tried)
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

// describeKeys is what loadCredentials would offer, for `shoal
// ssh-config`: the labels in order, then the skipped ones.
func describeKeys(c *credentials) []string {
	var out []string
	for _, s := range c.signers {
		out = append(out, s.(*recordedSigner).label)
	}
	for _, s := range c.skipped {
		out = append(out, "not offered: "+s)
	}
	return out
}
