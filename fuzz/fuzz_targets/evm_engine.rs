//! Arbitrary bytecode and calldata through the SERO engine:
//! `sero_evm::fuzz::engine` (input layout and properties there).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = sero_evm::fuzz::engine(data);
});
