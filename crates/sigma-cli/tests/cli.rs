//! Integration tests of the `sigma` command line: the gzip/xz/zstd conventions it implements.
//!
//! Every test runs the real binary in a fresh temporary directory; inputs are generated with a
//! fixed-seed PRNG or read from the repository and `../../../shared/corpora`.

#[path = "cli/support.rs"]
mod support;

#[path = "cli/codebook.rs"]
mod codebook;
#[path = "cli/damage.rs"]
mod damage;
#[path = "cli/errors.rs"]
mod errors;
#[path = "cli/files.rs"]
mod files;
#[path = "cli/hostile.rs"]
mod hostile;
#[path = "cli/options.rs"]
mod options;
#[path = "cli/pipes.rs"]
mod pipes;
#[path = "cli/roundtrip.rs"]
mod roundtrip;
