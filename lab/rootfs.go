package lab

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// The host's scratch tmpfs holds the overlay's upper and work dirs and the
// merged root. It lives in the host's mount namespace only, so it vanishes
// with the host; it is not under the lower layer (the machine's /).
func upperDir(s hostSpec) string  { return filepath.Join(s.Scratch, "upper") }
func workDir(s hostSpec) string   { return filepath.Join(s.Scratch, "work") }
func mergedDir(s hostSpec) string { return filepath.Join(s.Scratch, "root") }

// mountRoot builds the host's / : the machine's / read through an overlay
// whose upper layer carries the host's own files.
func mountRoot(s hostSpec) error {
	if err := syscall.Mount("", "/", "", syscall.MS_REC|syscall.MS_PRIVATE, ""); err != nil {
		return fmt.Errorf("making mounts private: %w", err)
	}
	if err := syscall.Mount("shoal-lab", s.Scratch, "tmpfs", 0, "mode=0755"); err != nil {
		return fmt.Errorf("mounting scratch tmpfs on %s: %w", s.Scratch, err)
	}
	for _, dir := range []string{upperDir(s), workDir(s), mergedDir(s)} {
		if err := os.Mkdir(dir, 0o755); err != nil {
			return err
		}
	}
	if err := writeUpper(s); err != nil {
		return err
	}
	opts := "lowerdir=/,upperdir=" + upperDir(s) + ",workdir=" + workDir(s)
	if err := syscall.Mount("overlay", mergedDir(s), "overlay", 0, opts); err != nil {
		return fmt.Errorf("mounting overlay (%s): %w", opts, err)
	}
	return nil
}

// writeUpper fills the upper layer: hidden folders, the host's SSH keys and
// config, /etc/hosts, and mount points.
func writeUpper(s hostSpec) error {
	up := upperDir(s)
	for _, dir := range s.HideDirs {
		if err := opaqueDir(filepath.Join(up, dir), hiddenMode(dir)); err != nil {
			return fmt.Errorf("hiding %s: %w", dir, err)
		}
	}
	if err := whiteOutHostKeys(up); err != nil {
		return err
	}
	files := []upperFile{
		{"/etc/ssh/ssh_host_ed25519_key", string(s.HostKey.Private), 0o600},
		{"/etc/ssh/ssh_host_ed25519_key.pub", s.HostKey.Public + "\n", 0o644},
		{"/etc/ssh/sshd_config", s.SSHDConfig, 0o644},
		{"/etc/hosts", s.EtcHosts, 0o644},
		{"/etc/hostname", s.Name + "\n", 0o644},
		{"/root/.ssh/authorized_keys", s.AuthorizedKey + "\n", 0o600},
	}
	if s.SSHFS != nil {
		files = append(files,
			upperFile{"/root/.ssh/id_ed25519", string(s.SSHFS.ClientKey), 0o600},
			upperFile{"/root/.ssh/known_hosts", s.SSHFS.KnownHosts, 0o644})
	}
	for _, f := range files {
		path := filepath.Join(up, f.path)
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return err
		}
		if err := os.WriteFile(path, []byte(f.content), f.mode); err != nil {
			return err
		}
	}
	for _, dir := range []string{"/srv/nas", "/mnt/nas"} {
		if err := os.MkdirAll(filepath.Join(up, dir), 0o755); err != nil {
			return err
		}
	}
	// MkdirAll made the parents 0700; the usual system folders are 0755.
	for _, dir := range []string{"/etc", "/etc/ssh", "/srv", "/mnt"} {
		if err := os.Chmod(filepath.Join(up, dir), 0o755); err != nil {
			return err
		}
	}
	return nil
}

// upperFile is a file the host has of its own, shadowing the machine's.
type upperFile struct {
	path, content string
	mode          os.FileMode
}

// opaqueDir creates dir in the upper layer so that nothing of the lower
// layer's folder shows through.
func opaqueDir(dir string, mode os.FileMode) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	if err := os.Chmod(dir, mode); err != nil {
		return err
	}
	return syscall.Setxattr(dir, "trusted.overlay.opaque", []byte("y"), 0)
}

// hiddenMode is the mode a hidden folder gets: /home stays enterable as on
// any host, so sshd can read a user's authorized_keys; the rest are root's.
func hiddenMode(dir string) os.FileMode {
	if dir == "/home" {
		return 0o755
	}
	return 0o700
}

// whiteOutHostKeys hides the machine's own SSH host keys (the ed25519 pair
// is replaced by the host's own instead): a lab host must never present them.
func whiteOutHostKeys(up string) error {
	keys, err := filepath.Glob("/etc/ssh/ssh_host_*")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(up, "etc/ssh"), 0o755); err != nil {
		return err
	}
	for _, key := range keys {
		if strings.HasPrefix(filepath.Base(key), "ssh_host_ed25519_key") {
			continue
		}
		if err := syscall.Mknod(filepath.Join(up, key), syscall.S_IFCHR, 0); err != nil {
			return fmt.Errorf("whiting out %s: %w", key, err)
		}
	}
	return nil
}

// mountSystem mounts fresh /proc, /sys, /dev, /run and /tmp in the merged
// root, and the shared directory when the host gets it by bind mount.
func mountSystem(s hostSpec) error {
	root := mergedDir(s)
	mounts := []struct {
		source, target, fstype string
		flags                  uintptr
		data                   string
	}{
		{"proc", "/proc", "proc", syscall.MS_NOSUID | syscall.MS_NODEV | syscall.MS_NOEXEC, ""},
		{"sysfs", "/sys", "sysfs", syscall.MS_NOSUID | syscall.MS_NODEV | syscall.MS_NOEXEC | syscall.MS_RDONLY, ""},
		{"tmpfs", "/dev", "tmpfs", syscall.MS_NOSUID, "mode=0755,size=1m"},
		{"tmpfs", "/run", "tmpfs", syscall.MS_NOSUID | syscall.MS_NODEV, "mode=0755"},
		{"tmpfs", "/tmp", "tmpfs", syscall.MS_NOSUID | syscall.MS_NODEV, "mode=1777"},
	}
	for _, m := range mounts {
		if err := syscall.Mount(m.source, root+m.target, m.fstype, m.flags, m.data); err != nil {
			return fmt.Errorf("mounting %s: %w", m.target, err)
		}
	}
	if err := protectProc(root + "/proc"); err != nil {
		return err
	}
	if err := populateDev(root + "/dev"); err != nil {
		return fmt.Errorf("populating /dev: %w", err)
	}
	if err := os.Mkdir(root+"/run/sshd", 0o755); err != nil { // sshd's privilege separation dir
		return err
	}
	// /run/lock, as systemd's tmpfiles make it on Debian: sticky and
	// world-writable; flock(1) users (cron jobs) and init scripts expect it.
	// (os.Chmod takes Go's mode bits: 0o1777 would drop the sticky bit.)
	if err := os.Mkdir(root+"/run/lock", 0o755); err != nil {
		return err
	}
	if err := os.Chmod(root+"/run/lock", 0o777|os.ModeSticky); err != nil {
		return err
	}
	if s.NASMount != "" {
		if err := syscall.Mount(s.NAS, root+s.NASMount, "", syscall.MS_BIND, ""); err != nil {
			return fmt.Errorf("bind-mounting %s on %s: %w", s.NAS, s.NASMount, err)
		}
	}
	return nil
}

// protectProc makes the machine-wide knobs in /proc read-only: a script
// run in a lab host must not change this machine's sysctls or reboot it.
func protectProc(proc string) error {
	for _, path := range []string{proc + "/sys", proc + "/sysrq-trigger"} {
		if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
			continue // a kernel without magic SysRq has no trigger
		}
		if err := syscall.Mount(path, path, "", syscall.MS_BIND, ""); err != nil {
			return fmt.Errorf("protecting %s: %w", path, err)
		}
		flags := uintptr(syscall.MS_BIND | syscall.MS_REMOUNT | syscall.MS_RDONLY | syscall.MS_NOSUID | syscall.MS_NODEV | syscall.MS_NOEXEC)
		if err := syscall.Mount("", path, "", flags, ""); err != nil {
			return fmt.Errorf("protecting %s: %w", path, err)
		}
	}
	return nil
}

// populateDev creates the device nodes a host needs, /dev/fuse for sshfs
// among them, a private devpts and /dev/shm.
func populateDev(dev string) error {
	nodes := []struct {
		name         string
		major, minor uint32
	}{
		{"null", 1, 3}, {"zero", 1, 5}, {"full", 1, 7}, {"random", 1, 8},
		{"urandom", 1, 9}, {"tty", 5, 0}, {"fuse", 10, 229},
	}
	var errs []error
	for _, n := range nodes {
		path := filepath.Join(dev, n.name)
		devNum := int(n.major<<8 | n.minor&0xff | (n.minor&^0xff)<<12)
		if err := syscall.Mknod(path, syscall.S_IFCHR|0o666, devNum); err != nil {
			errs = append(errs, fmt.Errorf("mknod %s: %w", n.name, err))
			continue
		}
		errs = append(errs, os.Chmod(path, 0o666)) // mknod's mode is masked by the umask
	}
	for _, dir := range []string{"pts", "shm"} {
		errs = append(errs, os.Mkdir(filepath.Join(dev, dir), 0o755))
	}
	errs = append(errs,
		syscall.Mount("devpts", dev+"/pts", "devpts", syscall.MS_NOSUID|syscall.MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620,gid=5"),
		syscall.Mount("tmpfs", dev+"/shm", "tmpfs", syscall.MS_NOSUID|syscall.MS_NODEV, "mode=1777"),
	)
	links := map[string]string{"ptmx": "pts/ptmx", "fd": "/proc/self/fd", "stdin": "/proc/self/fd/0", "stdout": "/proc/self/fd/1", "stderr": "/proc/self/fd/2"}
	for name, target := range links {
		errs = append(errs, os.Symlink(target, filepath.Join(dev, name)))
	}
	return errors.Join(errs...)
}
