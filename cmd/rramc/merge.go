package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/rramc/rramc/hwsim/sweep"
)

func init() {
	register(&command{name: "merge", summary: "add up the --json outputs of eval/sim --shard I/N runs into the output of one run over all the images", run: runMerge})
}

// How `rramc merge` combines the JSON outputs of the shards of one eval or
// sim run, key by key, at any depth. The shards ran the same model,
// quantization and hardware over disjoint image ranges, so:
//   - run totals over images add up: images (the object's image count) and
//     the ADC losses of the run;
//   - fractions of images are counts over the enclosing object's images:
//     each is turned back into its count exactly (sweep.CountOf: k =
//     round(f·n), checked to give f back), the counts add up, and the
//     sum is divided by the total once, as a single run divides;
//   - run facts (seconds) add up: the merged seconds are the compute time
//     of all shards;
//   - every other value (costs of one inference, which do not depend on the
//     images, configuration, hardware) must be equal in every shard, or the
//     merge fails naming the key: a new image-dependent field is refused,
//     never silently taken from one shard.
var (
	mergeSumKeys  = []string{"images", "adc_clipped", "adc_truncated", "adc_saturations", "adc_conversions_run"}
	mergeFracKeys = []string{"accuracy", "accuracy_float", "accuracy_int", "accuracy_sim", "bit_exact", "top1_agreement"}
	mergeTimeKeys = []string{"seconds", "stage_seconds"}
)

// maxMergeInput bounds one JSON output read by merge.
const maxMergeInput = 256 << 20

func runMerge(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "merge", "SHARD.json...  (the --json outputs of eval or sim --shard I/N, every I once)")
	out := fs.StringP("output", "o", "", "write the merged JSON to this file (default: standard output)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return usagef("merge: give the JSON outputs of the shards")
	}
	var docs []*jsonObject
	for _, path := range fs.Args() {
		doc, err := readJSONObject(path)
		if err != nil {
			return err
		}
		docs = append(docs, doc)
	}
	merged, err := mergeShards(fs.Args(), docs)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := merged.encode(&buf); err != nil {
		return err
	}
	var ind bytes.Buffer
	if err := json.Indent(&ind, buf.Bytes(), "", "  "); err != nil {
		return err
	}
	ind.WriteByte('\n')
	if *out == "" {
		_, err := e.stdout.Write(ind.Bytes())
		return err
	}
	return writeFileAtomic(*out, func(w io.Writer) error { _, err := w.Write(ind.Bytes()); return err })
}

// errBadShards marks shard outputs that do not make one run (exit code 2).
var errBadShards = errors.New("shard outputs do not add up to one run")

func init() { badInputErrors = append(badInputErrors, errBadShards) }

func badShardsf(format string, args ...any) error {
	return fmt.Errorf("merge: %w: %s", errBadShards, fmt.Sprintf(format, args...))
}

// mergeShards checks that docs are the shards 0..N-1 of one run, each once,
// with contiguous ranges covering the images, and adds them up.
func mergeShards(paths []string, docs []*jsonObject) (*jsonObject, error) {
	infos := make([]shardInfo, len(docs))
	for i, d := range docs {
		v, ok := d.get("shard")
		if !ok {
			return nil, badShardsf("%s: no \"shard\" object: not the --json output of eval or sim --shard I/N", paths[i])
		}
		b, err := json.Marshal(v)
		if err != nil {
			return nil, err
		}
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&infos[i]); err != nil {
			return nil, badShardsf("%s: shard: %v", paths[i], err)
		}
	}
	n := infos[0].Count
	if n < 1 || n != len(docs) {
		return nil, badShardsf("%d files for %d shards: every shard once", len(docs), n)
	}
	order := make([]int, n)
	seen := make([]string, n)
	for i, in := range infos {
		if in.Count != n || in.OfImages != infos[0].OfImages {
			return nil, badShardsf("%s is shard %d/%d of %d images, %s shard %d/%d of %d", paths[i], in.Index, in.Count, in.OfImages,
				paths[0], infos[0].Index, infos[0].Count, infos[0].OfImages)
		}
		if in.Index < 0 || in.Index >= n {
			return nil, badShardsf("%s: shard index %d of %d", paths[i], in.Index, n)
		}
		if seen[in.Index] != "" {
			return nil, badShardsf("shard %d/%d twice: %s and %s", in.Index, n, seen[in.Index], paths[i])
		}
		seen[in.Index], order[in.Index] = paths[i], i
	}
	next := infos[order[0]].FirstImage
	for _, i := range order {
		if infos[i].FirstImage != next || infos[i].Images <= 0 {
			return nil, badShardsf("%s covers images %d-%d, want from %d on: the shards must cover the images once", paths[i],
				infos[i].FirstImage, infos[i].FirstImage+infos[i].Images, next)
		}
		next += infos[i].Images
	}
	if next-infos[order[0]].FirstImage != infos[0].OfImages {
		return nil, badShardsf("the shards cover %d images, they say %d", next-infos[order[0]].FirstImage, infos[0].OfImages)
	}
	var ordered []*jsonObject
	var names []string
	for _, i := range order {
		d := docs[i].clone()
		d.del("shard")
		ordered, names = append(ordered, d), append(names, paths[i])
	}
	return mergeObjects("", names, ordered)
}

// mergeObjects merges objects with the same keys in the same order.
func mergeObjects(at string, paths []string, objs []*jsonObject) (*jsonObject, error) {
	out := &jsonObject{}
	for _, o := range objs[1:] {
		if !slices.Equal(o.keys(), objs[0].keys()) {
			return nil, badShardsf("%s: different keys in %s and %s", pathOr(at), paths[0], paths[slices.Index(objs, o)])
		}
	}
	images := make([]int64, len(objs))
	hasImages := false
	if v, ok := objs[0].get("images"); ok {
		hasImages = true
		for i, o := range objs {
			v, _ = o.get("images")
			n, err := jsonInt(v)
			if err != nil || n <= 0 {
				return nil, badShardsf("%s: %s.images %v", paths[i], pathOr(at), v)
			}
			images[i] = n
		}
	}
	var total int64
	for _, n := range images {
		total += n
	}
	for _, kv := range objs[0].fields {
		key, where := kv.key, at+"."+kv.key
		vals := make([]any, len(objs))
		for i, o := range objs {
			vals[i], _ = o.get(key)
		}
		switch {
		case slices.Contains(mergeSumKeys, key) || slices.Contains(mergeTimeKeys, key):
			v, err := sumValues(where, paths, vals)
			if err != nil {
				return nil, err
			}
			out.set(key, v)
		case slices.Contains(mergeFracKeys, key) && vals[0] != nil:
			if !hasImages {
				return nil, badShardsf("%s: a fraction of images without an image count", where)
			}
			var count int64
			for i, v := range vals {
				f, err := jsonFloat(v)
				if err != nil {
					return nil, badShardsf("%s: %s: %v", paths[i], where, err)
				}
				k, err := sweep.CountOf(f, images[i])
				if err != nil {
					return nil, badShardsf("%s: %s: %v", paths[i], where, err)
				}
				count += k
			}
			if err := reencodeFloat(out, key, float64(count)/float64(total)); err != nil {
				return nil, err
			}
		default:
			v, err := mergeEqual(where, paths, vals)
			if err != nil {
				return nil, err
			}
			out.set(key, v)
		}
	}
	return out, nil
}

func pathOr(at string) string {
	if at == "" {
		return "top level"
	}
	return strings.TrimPrefix(at, ".")
}

// mergeEqual merges values that must agree; objects and arrays are merged
// element by element (their image-dependent keys are combined inside).
func mergeEqual(where string, paths []string, vals []any) (any, error) {
	switch v0 := vals[0].(type) {
	case *jsonObject:
		objs := make([]*jsonObject, len(vals))
		for i, v := range vals {
			o, ok := v.(*jsonObject)
			if !ok {
				return nil, badShardsf("%s: an object in %s, not in %s", strings.TrimPrefix(where, "."), paths[0], paths[i])
			}
			objs[i] = o
		}
		return mergeObjects(where, paths, objs)
	case []any:
		out := make([]any, len(v0))
		for i, v := range vals {
			a, ok := v.([]any)
			if !ok || len(a) != len(v0) {
				return nil, badShardsf("%s: arrays differ in length between %s and %s", strings.TrimPrefix(where, "."), paths[0], paths[i])
			}
		}
		for j := range v0 {
			col := make([]any, len(vals))
			for i, v := range vals {
				col[i] = v.([]any)[j]
			}
			m, err := mergeEqual(fmt.Sprintf("%s[%d]", where, j), paths, col)
			if err != nil {
				return nil, err
			}
			out[j] = m
		}
		return out, nil
	}
	b0, err := json.Marshal(vals[0])
	if err != nil {
		return nil, err
	}
	for i, v := range vals[1:] {
		b, err := json.Marshal(v)
		if err != nil {
			return nil, err
		}
		if !bytes.Equal(b, b0) {
			return nil, badShardsf("%s is %s in %s but %s in %s: the shards are not of one run (or the value depends on the images)",
				strings.TrimPrefix(where, "."), b0, paths[0], b, paths[i+1])
		}
	}
	return vals[0], nil
}

// sumValues adds integers, floats (run facts) or objects of them.
func sumValues(where string, paths []string, vals []any) (any, error) {
	if o, ok := vals[0].(*jsonObject); ok {
		out := &jsonObject{}
		for _, kv := range o.fields {
			col := make([]any, len(vals))
			for i, v := range vals {
				vo, ok := v.(*jsonObject)
				if !ok {
					return nil, badShardsf("%s: not an object in %s", strings.TrimPrefix(where, "."), paths[i])
				}
				col[i], _ = vo.get(kv.key)
			}
			s, err := sumValues(where+"."+kv.key, paths, col)
			if err != nil {
				return nil, err
			}
			out.set(kv.key, s)
		}
		return out, nil
	}
	allInt := true
	for _, v := range vals {
		if _, err := jsonInt(v); err != nil {
			allInt = false
		}
	}
	if allInt {
		var s int64
		for _, v := range vals {
			n, _ := jsonInt(v)
			if (n > 0 && s > math.MaxInt64-n) || (n < 0 && s < math.MinInt64-n) {
				return nil, badShardsf("%s: sum overflows", strings.TrimPrefix(where, "."))
			}
			s += n
		}
		return json.Number(strconv.FormatInt(s, 10)), nil
	}
	var s float64
	for i, v := range vals {
		f, err := jsonFloat(v)
		if err != nil {
			return nil, badShardsf("%s: %s: %v", paths[i], strings.TrimPrefix(where, "."), err)
		}
		s += f
	}
	b, err := json.Marshal(s)
	if err != nil {
		return nil, err
	}
	return json.Number(b), nil
}

// reencodeFloat stores v as encoding/json writes a float64, so the merged
// output has the bytes a single run would print.
func reencodeFloat(o *jsonObject, key string, v float64) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	o.set(key, json.Number(b))
	return nil
}

func jsonInt(v any) (int64, error) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, fmt.Errorf("%v is not a number", v)
	}
	return strconv.ParseInt(string(n), 10, 64)
}

func jsonFloat(v any) (float64, error) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, fmt.Errorf("%v is not a number", v)
	}
	f, err := strconv.ParseFloat(string(n), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, fmt.Errorf("%v is not a finite number", v)
	}
	return f, nil
}

// jsonObject is a JSON object that keeps its key order, so the merged
// output reads like the outputs it came from. Values are *jsonObject,
// []any, json.Number, string, bool or nil.
type jsonObject struct {
	fields []jsonField
}

type jsonField struct {
	key string
	val any
}

func (o *jsonObject) get(k string) (any, bool) {
	for _, f := range o.fields {
		if f.key == k {
			return f.val, true
		}
	}
	return nil, false
}

func (o *jsonObject) set(k string, v any) {
	for i := range o.fields {
		if o.fields[i].key == k {
			o.fields[i].val = v
			return
		}
	}
	o.fields = append(o.fields, jsonField{k, v})
}

func (o *jsonObject) del(k string) {
	o.fields = slices.DeleteFunc(o.fields, func(f jsonField) bool { return f.key == k })
}

func (o *jsonObject) keys() []string {
	ks := make([]string, len(o.fields))
	for i, f := range o.fields {
		ks[i] = f.key
	}
	return ks
}

func (o *jsonObject) clone() *jsonObject {
	return &jsonObject{fields: slices.Clone(o.fields)}
}

// MarshalJSON writes the object in key order.
func (o *jsonObject) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	if err := o.encode(&b); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func (o *jsonObject) encode(b *bytes.Buffer) error {
	b.WriteByte('{')
	for i, f := range o.fields {
		if i > 0 {
			b.WriteByte(',')
		}
		k, err := json.Marshal(f.key)
		if err != nil {
			return err
		}
		b.Write(k)
		b.WriteByte(':')
		v, err := json.Marshal(f.val)
		if err != nil {
			return err
		}
		b.Write(v)
	}
	b.WriteByte('}')
	return nil
}

// readJSONObject reads one JSON object from path, keeping key order and
// numbers as written.
func readJSONObject(path string) (*jsonObject, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxMergeInput+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if len(data) > maxMergeInput {
		return nil, badShardsf("%s: larger than %d bytes", path, maxMergeInput)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	v, err := decodeOrdered(dec, 0)
	if err != nil {
		return nil, badShardsf("%s: %v", path, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, badShardsf("%s: trailing data after the JSON object", path)
	}
	o, ok := v.(*jsonObject)
	if !ok {
		return nil, badShardsf("%s: not a JSON object", path)
	}
	return o, nil
}

// maxJSONDepth bounds nesting (the outputs are a few levels deep).
const maxJSONDepth = 64

func decodeOrdered(dec *json.Decoder, depth int) (any, error) {
	if depth > maxJSONDepth {
		return nil, errors.New("nested too deep")
	}
	t, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := t.(type) {
	case json.Delim:
		switch t {
		case '{':
			o := &jsonObject{}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				k, _ := kt.(string)
				if _, dup := o.get(k); dup {
					return nil, fmt.Errorf("key %q twice", k)
				}
				v, err := decodeOrdered(dec, depth+1)
				if err != nil {
					return nil, err
				}
				o.fields = append(o.fields, jsonField{k, v})
			}
			if _, err := dec.Token(); err != nil {
				return nil, err
			}
			return o, nil
		case '[':
			a := []any{}
			for dec.More() {
				v, err := decodeOrdered(dec, depth+1)
				if err != nil {
					return nil, err
				}
				a = append(a, v)
			}
			if _, err := dec.Token(); err != nil {
				return nil, err
			}
			return a, nil
		}
		return nil, fmt.Errorf("unexpected %v", t)
	}
	return t, nil
}
