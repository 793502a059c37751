//! One SERO system call (a LOGn whose first topic is a system topic) with
//! arbitrary data, inside a contract frame, directly or in a nested frame
//! that may revert: `sero_evm::fuzz::syscall` (input layout and properties
//! there): no panic, gas used <= limit, a failed transaction or frame
//! leaves books, tickets and notes unchanged, SERO is conserved.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = sero_evm::fuzz::syscall(data);
});
