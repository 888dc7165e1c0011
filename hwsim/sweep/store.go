package sweep

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/rramc/rramc/importer/atomicfile"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// The shared output directory of a sweep (every task of a sharded sweep
// writes into the same one; doc.go):
//
//	grid.json          the grid: configuration and point ids in canonical order
//	points/<id>.json   one finished point (record with its checksum)
//	parts/<id>.<first>-<end>.json  one image range of a point split by ImagesPerTask
//	running/<unit>     claim of a task computing a unit (removed when stored)
//	runs/<host>.<pid>.<start>.jsonl  run log: command, host, seconds per unit
//	results.json, results.csv, gains.csv, report.html, RESULTS.md  the merged results
const (
	gridFileName = "grid.json"
	pointsDir    = "points"
	partsDir     = "parts"
	runningDir   = "running"
	runsDir      = "runs"
)

// Unit is one piece of work: a whole point, or one image range of a point
// when the sweep splits points by image range.
type Unit struct {
	// Point is the index of the point in the grid's canonical order and ID
	// its id.
	Point int
	ID    string
	// Config is what the unit evaluates (for a part, its image range).
	Config PointConfig
	// Part marks an image range of a point.
	Part bool
}

// file is the unit's path relative to the output directory.
func (u *Unit) file() string {
	if !u.Part {
		return filepath.Join(pointsDir, u.ID+".json")
	}
	return filepath.Join(partsDir, u.name()+".json")
}

// key is the id of what the unit's file holds: the point's, or the part's
// (the hash of the configuration with the part's image range).
func (u *Unit) key() string {
	if !u.Part {
		return u.ID
	}
	return u.Config.Key()
}

// name identifies the unit in claims and logs: the point id, and the range
// of a part.
func (u *Unit) name() string {
	if !u.Part {
		return u.ID
	}
	return fmt.Sprintf("%s.%d-%d", u.ID, u.Config.FirstImage, u.Config.FirstImage+u.Config.Limit)
}

// units splits the points into work units: each point whole, or, with
// ImagesPerTask k > 0 and a point of more than k images, its image ranges
// [0,k), [k,2k), ... in order.
func units(jobs []PointConfig, perTask int) []Unit {
	var us []Unit
	for i, pc := range jobs {
		id := pc.Key()
		if perTask <= 0 || pc.Limit <= perTask || pc.CostOnly {
			us = append(us, Unit{Point: i, ID: id, Config: pc})
			continue
		}
		for lo := 0; lo < pc.Limit; lo += perTask {
			part := pc
			part.FirstImage, part.Limit = lo, min(perTask, pc.Limit-lo)
			us = append(us, Unit{Point: i, ID: id, Config: part, Part: true})
		}
	}
	return us
}

// record is the content of a point or part file: the configuration it was
// computed for and its point. On disk it is wrapped with the SHA-256 of its
// exact bytes (storedFile), so a truncated or altered file is detected.
type record struct {
	SchemaVersion int         `json:"schema_version"`
	Config        PointConfig `json:"config"`
	Point         Point       `json:"point"`
}

type storedFile struct {
	SHA256 string          `json:"sha256"`
	Record json.RawMessage `json:"record"`
}

// maxPointFile bounds a stored point (per-layer rows of a deep network stay
// far below).
const maxPointFile = 64 << 20

// encodeRecord returns the file bytes of a record: {"sha256":...,"record":...}
// with the record compact, so the checksum covers exactly the bytes stored.
func encodeRecord(pc *PointConfig, p *Point) ([]byte, error) {
	rec, err := json.Marshal(record{SchemaVersion: SchemaVersion, Config: *pc, Point: *p})
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(rec)
	var b bytes.Buffer
	fmt.Fprintf(&b, `{"sha256":%q,"record":`, hex.EncodeToString(sum[:]))
	b.Write(rec)
	b.WriteString("}\n")
	return b.Bytes(), nil
}

// errCorrupt marks a stored file that exists but cannot be trusted.
var errCorrupt = errors.New("corrupt")

// readRecord reads and verifies the stored file of unit key at path: checksum,
// schema version, that the configuration hashes to key, and that the point
// is valid. A missing file gives an error wrapping os.ErrNotExist; any other
// failure wraps errCorrupt.
func readRecord(path, key string) (*record, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxPointFile+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w: %v", path, errCorrupt, err)
	}
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%s: %w: %s", path, errCorrupt, fmt.Sprintf(format, args...))
	}
	if len(data) > maxPointFile {
		return nil, bad("larger than %d bytes", maxPointFile)
	}
	var sf storedFile
	if err := json.Unmarshal(data, &sf); err != nil {
		return nil, bad("%v (truncated?)", err)
	}
	sum := sha256.Sum256(sf.Record)
	if sf.SHA256 != hex.EncodeToString(sum[:]) {
		return nil, bad("checksum mismatch")
	}
	dec := json.NewDecoder(bytes.NewReader(sf.Record))
	dec.DisallowUnknownFields()
	var rec record
	if err := dec.Decode(&rec); err != nil {
		return nil, bad("%v", err)
	}
	if rec.SchemaVersion != SchemaVersion {
		return nil, bad("schema_version %d, want %d", rec.SchemaVersion, SchemaVersion)
	}
	if k := rec.Config.Key(); k != key || rec.Point.Key != key {
		return nil, bad("holds point %s, want %s", k, key)
	}
	if err := rec.Point.validate(); err != nil {
		return nil, bad("%v", err)
	}
	return &rec, nil
}

// gridFile is grid.json: everything a merge needs to know about the grid
// without the command line: the configuration recorded in results.json, how
// points are split, and the points in canonical order.
type gridFile struct {
	SchemaVersion int     `json:"schema_version"`
	Config        RunInfo `json:"config"`
	// ImagesPerTask is the split of points by image range (0 = none); it
	// changes the work units, never the results.
	ImagesPerTask int         `json:"images_per_task,omitempty"`
	Points        []gridPoint `json:"points"`
}

// gridPoint is one point of grid.json: its id and the complete
// configuration it is evaluated with.
type gridPoint struct {
	ID     string      `json:"point_id"`
	Config PointConfig `json:"config"`
}

func (g *gridFile) jobs() []PointConfig {
	jobs := make([]PointConfig, len(g.Points))
	for i := range g.Points {
		jobs[i] = g.Points[i].Config
	}
	return jobs
}

// maxGridFile bounds grid.json.
const maxGridFile = 1 << 30

func encodeGrid(g *gridFile) ([]byte, error) {
	b, err := json.MarshalIndent(g, "", " ")
	if err != nil {
		return nil, fmt.Errorf("encode grid: %w", err)
	}
	return append(b, '\n'), nil
}

// writeGrid stores g as dir/grid.json unless the same bytes are there: every
// task of a sharded sweep writes it (atomically, so racing tasks leave one
// whole file), and a run of a changed grid in the same directory replaces it
// (stored points of the old grid stay usable: they are keyed by identity).
func writeGrid(dir string, g *gridFile) error {
	b, err := encodeGrid(g)
	if err != nil {
		return err
	}
	path := filepath.Join(dir, gridFileName)
	if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, b) {
		return nil
	}
	return atomicfile.WriteFile(path, b)
}

// readGrid reads and checks dir/grid.json.
func readGrid(dir string) (*gridFile, error) {
	path := filepath.Join(dir, gridFileName)
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("sweep: %w: %s: no %s: not the output directory of an rramc sweep (or no task has started yet): %w",
				ErrInvalidConfig, dir, gridFileName, os.ErrNotExist)
		}
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxGridFile+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if len(data) > maxGridFile {
		return nil, invalidf("%s: larger than %d bytes", path, maxGridFile)
	}
	if err := checkSchemaVersion(data, "grid"); err != nil {
		return nil, invalidf("%s: %v", path, err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var g gridFile
	if err := dec.Decode(&g); err != nil {
		return nil, invalidf("%s: %v", path, err)
	}
	if len(g.Points) == 0 {
		return nil, invalidf("%s: no points", path)
	}
	if g.ImagesPerTask < 0 {
		return nil, invalidf("%s: images_per_task %d is negative", path, g.ImagesPerTask)
	}
	seen := map[string]bool{}
	for i := range g.Points {
		gp := &g.Points[i]
		if k := gp.Config.Key(); k != gp.ID {
			return nil, invalidf("%s: point %d: id %s does not match its configuration (%s)", path, i, gp.ID, k)
		}
		if seen[gp.ID] {
			return nil, invalidf("%s: point %s listed twice", path, gp.ID)
		}
		seen[gp.ID] = true
		if gp.Config.Limit < 0 || gp.Config.FirstImage != 0 {
			return nil, invalidf("%s: point %s: image range %d+%d", path, gp.ID, gp.Config.FirstImage, gp.Config.Limit)
		}
	}
	return &g, nil
}

// claim is the content of running/<unit>: who is computing it since when.
type claim struct {
	Host    string `json:"host"`
	PID     int    `json:"pid"`
	Shard   string `json:"shard"`
	Started string `json:"started"`
}

func writeClaim(dir string, u *Unit, shard Shard) error {
	host, _ := os.Hostname()
	b, err := json.Marshal(claim{Host: host, PID: os.Getpid(), Shard: shard.String(), Started: time.Now().UTC().Format(time.RFC3339)})
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(filepath.Join(dir, runningDir, u.name()), b)
}

func removeClaim(dir string, u *Unit) { os.Remove(filepath.Join(dir, runningDir, u.name())) }

// runLog appends JSON lines to runs/<host>.<pid>.<start>.jsonl: the run facts
// (command line, host, shard, seconds per unit) that are not results.
type runLog struct {
	f *os.File
}

// logEvent is one line of a run log.
type logEvent struct {
	Event   string  `json:"event"` // start, unit, end
	Time    string  `json:"time"`
	Host    string  `json:"host,omitempty"`
	PID     int     `json:"pid,omitempty"`
	Command string  `json:"command,omitempty"`
	Shard   string  `json:"shard,omitempty"`
	Unit    string  `json:"unit,omitempty"`
	Label   string  `json:"label,omitempty"`
	Seconds float64 `json:"seconds,omitempty"`
	// Computed and Stored count the units of the shard computed by this
	// run and found already stored (end event).
	Computed int `json:"computed,omitempty"`
	Stored   int `json:"stored,omitempty"`
}

func openRunLog(dir string, shard Shard, command string) (*runLog, error) {
	host, _ := os.Hostname()
	now := time.Now().UTC()
	name := fmt.Sprintf("%s.%d.%d.jsonl", sanitize(host), os.Getpid(), now.UnixNano())
	f, err := os.OpenFile(filepath.Join(dir, runsDir, name), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("run log: %w", err)
	}
	l := &runLog{f: f}
	l.write(logEvent{Event: "start", Host: host, PID: os.Getpid(), Command: command, Shard: shard.String()})
	return l, nil
}

// write appends one line; a run log that cannot be written does not stop
// the sweep (it holds no results).
func (l *runLog) write(e logEvent) {
	if l == nil {
		return
	}
	e.Time = time.Now().UTC().Format(time.RFC3339Nano)
	b, err := json.Marshal(e)
	if err != nil {
		return
	}
	l.f.Write(append(b, '\n'))
}

func (l *runLog) close() {
	if l != nil {
		l.f.Close()
	}
}

func sanitize(s string) string {
	if s == "" {
		return "host"
	}
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' {
			return r
		}
		return '_'
	}, s)
}
