package usdt

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// mapsLine is one line of /proc/PID/maps.
type mapsLine struct {
	start, end, offset uint64
	exec               bool
	dev, inode         uint64 // dev as major<<32 | minor, see fileDev
	path               string // "" for an anonymous mapping
}

// readMaps reads /proc/PID/maps.
func readMaps(pid int) ([]mapsLine, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/maps", pid))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []mapsLine
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20) // a path is at most PATH_MAX, plus " (deleted)"
	for sc.Scan() {
		// start-end perms offset major:minor inode path; the path may
		// contain blanks, so it is the rest of the line after the fifth
		// field.
		line := sc.Text()
		var fields [5]string
		rest := line
		for i := range fields {
			rest = strings.TrimLeft(rest, " ")
			var ok bool
			if fields[i], rest, ok = strings.Cut(rest, " "); !ok && i < len(fields)-1 {
				return nil, fmt.Errorf("/proc/%d/maps: malformed line %q", pid, line)
			}
		}
		var l mapsLine
		start, end, _ := strings.Cut(fields[0], "-")
		l.start, _ = strconv.ParseUint(start, 16, 64)
		l.end, _ = strconv.ParseUint(end, 16, 64)
		l.exec = strings.Contains(fields[1], "x")
		l.offset, _ = strconv.ParseUint(fields[2], 16, 64)
		major, minor, _ := strings.Cut(fields[3], ":")
		maj, _ := strconv.ParseUint(major, 16, 32)
		mnr, _ := strconv.ParseUint(minor, 16, 32)
		l.dev = maj<<32 | mnr
		l.inode, _ = strconv.ParseUint(fields[4], 10, 64)
		l.path = strings.TrimLeft(rest, " ")
		out = append(out, l)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("/proc/%d/maps: %w", pid, err)
	}
	return out, nil
}

// fileDev returns the device and inode of a stat result in readMaps'
// encoding.
func fileDev(st *syscall.Stat_t) (dev, inode uint64) {
	d := uint64(st.Dev) // Stat_t.Dev is uint32 on mips64le
	return uint64(devMajor(d))<<32 | uint64(devMinor(d)), st.Ino
}

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
	dev, inode := fileDev(sys)
	lines, err := readMaps(pid)
	if err != nil {
		return nil, err
	}
	var out []mapping
	for _, l := range lines {
		if l.exec && l.dev == dev && l.inode == inode {
			out = append(out, mapping{l.start, l.end, l.offset})
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s is not mapped executable in process %d", path, pid)
	}
	return out, nil
}

// devMajor and devMinor decode a Linux dev_t.
func devMajor(dev uint64) uint32 { return uint32((dev>>8)&0xfff | (dev>>32)&^0xfff) }
func devMinor(dev uint64) uint32 { return uint32(dev&0xff | (dev>>12)&^0xff) }
