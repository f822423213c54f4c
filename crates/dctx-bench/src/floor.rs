//! Does nothing: the start-up cost of a minimal Rust binary, as a floor
//! for `dctx-prompt` in the benchmark.

fn main() {}
