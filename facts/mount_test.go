package facts

import "testing"

func TestParseMount(t *testing.T) {
	const table = `22 1 0:21 / / rw,relatime shared:1 - overlay overlay rw,lowerdir=/
40 22 0:45 / /mnt/nas rw,nosuid,nodev,relatime shared:20 - fuse.sshfs root@10.77.0.5:/srv/nas rw,user_id=0,group_id=0
41 22 0:46 / /mnt/with\040space rw - ext4 /dev/vdb rw
`
	got := ParseMount(table, "/mnt/nas/")
	if !got.Mounted || got.FSType != "fuse.sshfs" || got.Source != "root@10.77.0.5:/srv/nas" {
		t.Errorf("nas: %+v", got)
	}
	if got := ParseMount(table, "/mnt/with space"); !got.Mounted || got.Source != "/dev/vdb" {
		t.Errorf("escaped: %+v", got)
	}
	if got := ParseMount(table, "/mnt"); got.Mounted {
		t.Errorf("/mnt is not a mount point: %+v", got)
	}
}
