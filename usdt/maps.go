package usdt

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
)

type mapping struct{ start, end, offset uint64 }

// executableMappings lists the executable mappings of the file at path in
// process pid, matched by device and inode so that any path to the file
// (a symlink, /proc/PID/root/...) works.
func executableMappings(pid int, path string) ([]mapping, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	sys, ok := st.Sys().(*syscall.Stat_t)
	if !ok {
		return nil, fmt.Errorf("%s: no inode", path)
	}
	f, err := os.Open(fmt.Sprintf("/proc/%d/maps", pid))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []mapping
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// start-end perms offset major:minor inode path
		fields := strings.Fields(sc.Text())
		if len(fields) < 6 || !strings.Contains(fields[1], "x") {
			continue
		}
		inode, _ := strconv.ParseUint(fields[4], 10, 64)
		major, minor, _ := strings.Cut(fields[3], ":")
		maj, _ := strconv.ParseUint(major, 16, 32)
		min, _ := strconv.ParseUint(minor, 16, 32)
		if inode != sys.Ino || maj != uint64(devMajor(uint64(sys.Dev))) || min != uint64(devMinor(uint64(sys.Dev))) { // Stat_t.Dev is uint32 on mips64le
			continue
		}
		start, end, _ := strings.Cut(fields[0], "-")
		var m mapping
		m.start, _ = strconv.ParseUint(start, 16, 64)
		m.end, _ = strconv.ParseUint(end, 16, 64)
		m.offset, _ = strconv.ParseUint(fields[2], 16, 64)
		out = append(out, m)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s is not mapped executable in process %d", path, pid)
	}
	return out, nil
}

// devMajor and devMinor decode a Linux dev_t.
func devMajor(dev uint64) uint32 { return uint32((dev>>8)&0xfff | (dev>>32)&^0xfff) }
func devMinor(dev uint64) uint32 { return uint32(dev&0xff | (dev>>12)&^0xff) }
