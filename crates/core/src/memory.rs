//! The process's heap, for a program that sits in the tray for weeks (glibc only; elsewhere
//! these do nothing).
//!
//! glibc gives every thread that allocates its own arena (up to 8 per core), and keeps freed
//! memory in them; the app's many short-lived threads (Tokio workers, WebKit and GTK
//! helpers) then hold far more than they use. Two arenas are plenty for a program that
//! mostly waits, and the heap freed by start-up (parsed lists, the first page's work) is
//! handed back once the app has settled.

// The only unsafe code of the workspace: two calls into glibc's allocator.
#![allow(unsafe_code)]

/// Limit the number of malloc arenas. Call first thing in `main`, before threads start.
pub fn limit_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets a tunable of the allocator; called before other threads run.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 2);
    }
}

/// Give the heap's free pages back to the system (after start-up, when the app settles).
pub fn give_back_freed() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim is thread-safe and only releases memory no allocation holds.
    unsafe {
        libc::malloc_trim(0);
    }
}
