package bench

import "context"

// Variant is one side of a comparison, run once per round.
type Variant func(ctx context.Context, round int) error

// Interleave runs rounds of the variants in turn — A, B, A, B … — so that
// slow drifts of the machine (other load, thermal state, caches) reach
// every variant alike instead of biasing whichever ran last. It stops at
// the first error.
func Interleave(ctx context.Context, rounds int, variants ...Variant) error {
	for round := range rounds {
		for _, v := range variants {
			if err := ctx.Err(); err != nil {
				return err
			}
			if err := v(ctx, round); err != nil {
				return err
			}
		}
	}
	return nil
}
