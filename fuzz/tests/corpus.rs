//! Replays the checked-in corpus (`fuzz/corpus/<target>/*`) and the inputs of known kernel
//! bugs (`fuzz/regressions/<target>/*`, see `src/known.rs`) through every target on stable
//! Rust, without libFuzzer: `cargo test` in `fuzz/`. A failing input prints its file name.
//! With `--features strict` the known bugs are checked too, so the regression inputs fail
//! until their bugs are fixed.

use std::fs;
use std::path::Path;

fn replay(target: &str, check: fn(&[u8])) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for folder in ["corpus", "regressions"] {
        let dir = root.join(folder).join(target);
        // Not every target has known-bug inputs; every target has a corpus.
        if folder == "regressions" && !dir.exists() {
            continue;
        }
        let listed = fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        let mut found: Vec<_> = listed
            .map(|e| e.expect("a directory entry").path())
            .collect();
        assert!(
            folder == "regressions" || !found.is_empty(),
            "no corpus in {}",
            dir.display()
        );
        found.sort();
        files.extend(found);
    }
    for file in files {
        let data = fs::read(&file).expect("a readable corpus file");
        eprintln!("{}", file.display());
        check(&data);
    }
}

#[test]
fn rolling() {
    replay("rolling", polars_alpha_fuzz::rolling::check);
}

#[test]
fn factor() {
    replay("factor", polars_alpha_fuzz::factor::check);
}

#[test]
fn ewm() {
    replay("ewm", polars_alpha_fuzz::ewm::check);
}

#[test]
fn weighted_alpha() {
    replay("weighted_alpha", polars_alpha_fuzz::weighted_alpha::check);
}

#[test]
fn window() {
    replay("window", polars_alpha_fuzz::window::check);
}

#[test]
fn ratios() {
    replay("ratios", polars_alpha_fuzz::ratios::check);
}

#[test]
fn robust() {
    replay("robust", polars_alpha_fuzz::robust::check);
}
