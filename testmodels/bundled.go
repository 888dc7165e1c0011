package testmodels

// DefaultModel names the manifest entry `rramc eval` runs when given no
// model: LeNet-5, small enough to simulate bit-serially over the full
// MNIST test set in seconds and deep enough (two convolutions, three fully
// connected layers) to show what the mapping schemes do to real layers.
const DefaultModel = "lenet5"

// DefaultONNX returns the bytes of DefaultModel, compiled into the package
// so that an installed binary needs no repository checkout.
func DefaultONNX() ([]byte, error) { return ReadModel(DefaultModel) }
