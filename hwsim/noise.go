package hwsim

import "math"

// Randomness of the non-idealities is counter-based: every random number is
// a hash of (seed, stream, coordinates), never the next draw of a shared
// generator, so results do not depend on the number of goroutines or on the
// order in which they run.

// Streams keep the draws of different phenomena independent.
const (
	streamStuck     = 1
	streamVariation = 2
	streamADCNoise  = 3
)

// mix is the SplitMix64 finalizer: a bijection of 64-bit words with full
// avalanche.
func mix(z uint64) uint64 {
	z += 0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// key hashes a sequence of coordinates under a seed.
func key(seed uint64, parts ...uint64) uint64 {
	h := mix(seed)
	for _, p := range parts {
		h = mix(h ^ p)
	}
	return h
}

// unit maps a hash to a float64 uniform in [0, 1).
func unit(h uint64) float64 {
	return float64(h>>11) * (1.0 / (1 << 53))
}

// gauss returns a standard normal deviate derived from h (Box-Muller on two
// uniforms taken from h and from a re-hash of h).
func gauss(h uint64) float64 {
	u1 := (float64(h>>11) + 0.5) * (1.0 / (1 << 53)) // (0, 1): log is finite
	u2 := unit(mix(h))
	return math.Sqrt(-2*math.Log(u1)) * math.Cos(2*math.Pi*u2)
}
