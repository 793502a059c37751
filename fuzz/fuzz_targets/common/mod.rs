//! Shared by every target: a global allocator that aborts on any single
//! allocation over [`MAX_ALLOC`], so an unbounded allocation driven by the
//! input is a crash even without a sanitizer (the targets are built with
//! `-s none` for speed, where libFuzzer's `-malloc_limit_mb` has no malloc
//! hooks to work with; `-rss_limit_mb` still bounds the total).

use std::alloc::{GlobalAlloc, Layout, System};

/// The largest single allocation a target may make: 256 MiB.
pub const MAX_ALLOC: usize = 256 << 20;

pub struct Bounded;

unsafe impl GlobalAlloc for Bounded {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        check(layout.size());
        System.alloc(layout)
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        check(layout.size());
        System.alloc_zeroed(layout)
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        check(new_size);
        System.realloc(ptr, layout, new_size)
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout)
    }
}

fn check(size: usize) {
    if size > MAX_ALLOC {
        // No formatting (it would allocate): a fixed message, then abort,
        // which libFuzzer reports as a crash with the input saved.
        let msg = b"==fuzz== single allocation over 256 MiB\n";
        unsafe { libc_write(2, msg.as_ptr(), msg.len()) };
        std::process::abort();
    }
}

extern "C" {
    #[link_name = "write"]
    fn libc_write(fd: i32, buf: *const u8, n: usize) -> isize;
}

#[global_allocator]
static A: Bounded = Bounded;
