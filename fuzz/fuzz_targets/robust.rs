#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| polars_alpha_fuzz::robust::check(data));
