package sweep

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// ErrIncomplete is wrapped by a merge that cannot give the results of the
// whole grid: points missing, stored twice with different results, or
// stored in files that fail their checksum. The CLI maps it to exit code 2.
var ErrIncomplete = errors.New("sweep incomplete")

// maxNamed bounds the points named in one error.
const maxNamed = 20

// problems collects what a merge found wrong, by kind.
type problems struct {
	missing, conflicting, corrupt []string
}

func (p *problems) err(total int) error {
	if len(p.missing)+len(p.conflicting)+len(p.corrupt) == 0 {
		return nil
	}
	var b strings.Builder
	list := func(kind string, v []string) {
		if len(v) == 0 {
			return
		}
		fmt.Fprintf(&b, "\n%d %s:", len(v), kind)
		for i, s := range v {
			if i == maxNamed {
				fmt.Fprintf(&b, "\n  ... and %d more", len(v)-maxNamed)
				break
			}
			fmt.Fprintf(&b, "\n  %s", s)
		}
	}
	list("missing (rerun the shard that owns them: it computes only what is missing)", p.missing)
	list("conflicting (the same point stored with different results)", p.conflicting)
	list("corrupt (truncated or failing their checksum: rerunning the shard recomputes them)", p.corrupt)
	return fmt.Errorf("sweep: %w: %d of %d work units not usable:%s", ErrIncomplete,
		len(p.missing)+len(p.conflicting)+len(p.corrupt), total, b.String())
}

// stamp gives p the grid's description of point pc: its id, where its model
// lies and what tables call it. Stored points carry them too, but a point is
// the same whatever the file was called when it was computed.
func stamp(p *Point, pc *PointConfig, id string) {
	p.Key = id
	p.Model, p.ModelName, p.Prune, p.Scheme, p.MaxShare = pc.Model, pc.ModelName, pc.Prune, pc.Scheme, pc.MaxShare
	p.HWVariant = pc.HWVariant
}

// found is one valid stored copy of a unit.
type found struct {
	path  string
	point Point
	json  []byte
}

// collect reads the stored copies of u in every directory: the valid ones,
// and the corrupt ones as problems. Identical copies (two tasks that raced
// on the unit, or a unit present in two directories) count once; copies
// with different results are a conflict.
func collect(dirs []string, u *Unit, pr *problems) *found {
	var first *found
	for _, dir := range dirs {
		path := filepath.Join(dir, u.file())
		rec, err := readRecord(path, u.key())
		if err != nil {
			if !errors.Is(err, os.ErrNotExist) {
				pr.corrupt = append(pr.corrupt, err.Error())
			}
			continue
		}
		p := rec.Point
		stamp(&p, &u.Config, u.key())
		b, err := json.Marshal(p)
		if err != nil {
			pr.corrupt = append(pr.corrupt, fmt.Sprintf("%s: %v", path, err))
			continue
		}
		if first == nil {
			first = &found{path: path, point: p, json: b}
		} else if !bytes.Equal(first.json, b) {
			pr.conflicting = append(pr.conflicting, fmt.Sprintf("%s: %s and %s differ", describeUnit(u), first.path, path))
		}
	}
	return first
}

func describeUnit(u *Unit) string {
	s := describe(&u.Config)
	if u.Part {
		s += fmt.Sprintf(" images %d-%d", u.Config.FirstImage, u.Config.FirstImage+u.Config.Limit)
	}
	return s + " (" + u.name() + ")"
}

// gather returns the points of grid g, in grid order, from the stored files
// of dirs: every unit must be present (in any of dirs), valid, and without
// conflicting copies; the parts of a split point are combined exactly
// (combineParts).
func gather(g *gridFile, dirs []string) ([]Point, error) {
	jobs := g.jobs()
	us := units(jobs, g.ImagesPerTask)
	var pr problems
	parts := make([][]Point, len(jobs))
	for i := range us {
		u := &us[i]
		f := collect(dirs, u, &pr)
		if f == nil {
			if !slices.ContainsFunc(pr.corrupt, func(s string) bool { return strings.Contains(s, u.name()) }) &&
				!slices.ContainsFunc(pr.conflicting, func(s string) bool { return strings.Contains(s, u.name()) }) {
				pr.missing = append(pr.missing, describeUnit(u))
			}
			continue
		}
		parts[u.Point] = append(parts[u.Point], f.point)
	}
	if err := pr.err(len(us)); err != nil {
		return nil, err
	}
	points := make([]Point, len(jobs))
	for i := range jobs {
		if len(parts[i]) == 1 && parts[i][0].Key == g.Points[i].ID {
			points[i] = parts[i][0]
			continue
		}
		p, err := combineParts(parts[i])
		if err != nil {
			return nil, fmt.Errorf("sweep: %w: %s: %v", ErrIncomplete, describe(&jobs[i]), err)
		}
		stamp(p, &jobs[i], g.Points[i].ID)
		points[i] = *p
	}
	return points, nil
}

// CountOf returns k with float64(k)/float64(n) == frac exactly: the count a
// stored fraction of n images was computed from. The division of two
// integers below 2^53 is correctly rounded and fractions 1/n apart differ by
// far more than the rounding, so k = round(frac·n) is the only candidate; it
// is checked, so a fraction that is not a count over n is an error, not a
// rounded guess. Merging shards of a sweep or of eval/sim relies on it.
func CountOf(frac float64, n int64) (int64, error) {
	if n <= 0 {
		return 0, fmt.Errorf("a fraction of %d images", n)
	}
	k := int64(math.Round(frac * float64(n)))
	if k < 0 || k > n || float64(k)/float64(n) != frac {
		return 0, fmt.Errorf("%v is not a count over %d images", frac, n)
	}
	return k, nil
}

// combineParts merges the points of the image ranges of one point into the
// point of the whole range, exactly: accuracies and agreements are counts
// over images (recovered exactly by CountOf, summed, divided once, as a
// single run divides them), ADC saturations are totals and add up, and
// everything else (the cost of one inference, sparsity, the layers) does
// not depend on the images (doc.go) and must be equal in every part.
// The parts of a cost-only network are identical cost-only points.
func combineParts(parts []Point) (*Point, error) {
	if len(parts) == 0 {
		return nil, errors.New("no part")
	}
	type counted struct {
		v *float64
		n int64
	}
	out := parts[0]
	fields := func(p *Point) []*float64 {
		return []*float64{&p.AccFloat, &p.AccInt, &p.AccSim, &p.Agreement, &p.BitExact}
	}
	sums := make([]int64, len(fields(&out)))
	images, sats := 0, int64(0)
	var ref []byte
	for i := range parts {
		p := parts[i]
		if p.CostOnly {
			if i > 0 && !out.CostOnly {
				return nil, errors.New("cost-only and measured parts")
			}
		} else {
			if p.Images <= 0 {
				return nil, fmt.Errorf("part %d has %d images", i, p.Images)
			}
			for j, f := range fields(&p) {
				k, err := CountOf(*f, int64(p.Images))
				if err != nil {
					return nil, fmt.Errorf("part %d: %v", i, err)
				}
				sums[j] += k
			}
			images += p.Images
			sats += p.Saturations
		}
		// The rest must be equal: compare with the image-dependent fields
		// cleared.
		q := p
		q.Key, q.Images, q.Saturations = "", 0, 0
		for _, f := range fields(&q) {
			*f = 0
		}
		b, err := json.Marshal(q)
		if err != nil {
			return nil, err
		}
		if i == 0 {
			ref = b
		} else if !bytes.Equal(b, ref) {
			return nil, fmt.Errorf("part %d differs from part 0 in an image-independent field (cost, sparsity or layers)", i)
		}
	}
	if out.CostOnly {
		return &out, nil
	}
	out.Images, out.Saturations = images, sats
	for j, f := range fields(&out) {
		*f = float64(sums[j]) / float64(images)
	}
	return &out, nil
}

// Merge reads the grid and the stored points of one or more sweep output
// directories (every task's directory, or one shared directory), checks that
// every work unit of the grid is present exactly once (identical copies
// allowed) and intact, and writes results.json, results.csv, gains.csv,
// report.html and RESULTS.md into out. All directories must hold the same
// grid.
func Merge(dirs []string, out string, opt ReportOptions) (*Results, error) {
	if len(dirs) == 0 {
		return nil, invalidf("merge: no directory")
	}
	var g *gridFile
	var gb []byte
	for _, d := range dirs {
		gd, err := readGrid(d)
		if err != nil {
			return nil, err
		}
		b, err := encodeGrid(gd)
		if err != nil {
			return nil, err
		}
		if g == nil {
			g, gb = gd, b
		} else if !bytes.Equal(b, gb) {
			return nil, invalidf("merge: %s and %s hold different grids (%s)", dirs[0], d, gridFileName)
		}
	}
	points, err := gather(g, dirs)
	if err != nil {
		return nil, err
	}
	res := &Results{SchemaVersion: SchemaVersion, Info: g.Config, Points: points}
	res.Sort()
	if err := res.WriteAll(out, opt); err != nil {
		return res, fmt.Errorf("sweep: %w", err)
	}
	return res, nil
}

// ShardStatus counts the work units of one shard by state.
type ShardStatus struct {
	Shard                         Shard
	Units, Done, Running, Missing int
	Corrupt                       int
	RunningSince                  []string // claims of the running units: "host pid since"
}

// Status is the state of a sweep output directory.
type Status struct {
	Dir    string
	Points int
	// Shards is the shard count used for the rows: the one asked for, else
	// that of the latest run log, else 1.
	Shards []ShardStatus
}

// Complete reports whether every unit is done.
func (s *Status) Complete() bool {
	for _, r := range s.Shards {
		if r.Done != r.Units {
			return false
		}
	}
	return true
}

// String is the table printed by `rramc sweep status`.
func (s *Status) String() string {
	var b strings.Builder
	tot := ShardStatus{}
	for _, r := range s.Shards {
		tot.Units += r.Units
		tot.Done += r.Done
		tot.Running += r.Running
		tot.Missing += r.Missing
		tot.Corrupt += r.Corrupt
	}
	fmt.Fprintf(&b, "%s: %d points, %d work units: %d done, %d running (claimed, not finished: running or killed), %d missing, %d corrupt\n",
		s.Dir, s.Points, tot.Units, tot.Done, tot.Running, tot.Missing, tot.Corrupt)
	fmt.Fprintf(&b, "%-8s %7s %7s %8s %8s %8s\n", "shard", "units", "done", "running", "missing", "corrupt")
	for _, r := range s.Shards {
		fmt.Fprintf(&b, "%-8s %7d %7d %8d %8d %8d\n", r.Shard, r.Units, r.Done, r.Running, r.Missing, r.Corrupt)
		for _, c := range r.RunningSince {
			fmt.Fprintf(&b, "         running: %s\n", c)
		}
	}
	return b.String()
}

// ReadStatus reports the state of dir per shard: done (a valid stored file),
// running (claimed by a task that has not stored it: still running, or
// killed), corrupt, missing. shards ≤ 0 takes the count of the latest run.
func ReadStatus(dir string, shards int) (*Status, error) {
	g, err := readGrid(dir)
	if err != nil {
		return nil, err
	}
	if shards <= 0 {
		shards = latestShardCount(dir)
	}
	if shards > maxShards {
		return nil, invalidf("shard count %d: must be 1..%d", shards, maxShards)
	}
	st := &Status{Dir: dir, Points: len(g.Points), Shards: make([]ShardStatus, shards)}
	for i := range st.Shards {
		st.Shards[i].Shard = Shard{Index: i, Count: shards}
	}
	us := units(g.jobs(), g.ImagesPerTask)
	for i := range us {
		u := &us[i]
		r := &st.Shards[i%shards]
		r.Units++
		_, err := readRecord(filepath.Join(dir, u.file()), u.key())
		switch {
		case err == nil:
			r.Done++
		case !errors.Is(err, os.ErrNotExist):
			r.Corrupt++
		default:
			if b, err := os.ReadFile(filepath.Join(dir, runningDir, u.name())); err == nil {
				r.Running++
				var c claim
				if json.Unmarshal(b, &c) == nil && len(r.RunningSince) < maxNamed {
					r.RunningSince = append(r.RunningSince, fmt.Sprintf("%s on %s pid %d (shard %s) since %s", describeUnit(u), c.Host, c.PID, c.Shard, c.Started))
				}
			} else {
				r.Missing++
			}
		}
	}
	return st, nil
}

// latestShardCount is the shard count of the most recently started run in
// dir/runs, or 1.
func latestShardCount(dir string) int {
	ents, err := os.ReadDir(filepath.Join(dir, runsDir))
	if err != nil {
		return 1
	}
	best, bestTime := 1, ""
	for _, e := range ents {
		if !strings.HasSuffix(e.Name(), ".jsonl") {
			continue
		}
		f, err := os.Open(filepath.Join(dir, runsDir, e.Name()))
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(f)
		var ev logEvent
		if sc.Scan() && json.Unmarshal(sc.Bytes(), &ev) == nil && ev.Event == "start" && ev.Time > bestTime {
			if s, err := ParseShard(ev.Shard); err == nil {
				best, bestTime = s.Count, ev.Time
			}
		}
		f.Close()
	}
	return best
}
