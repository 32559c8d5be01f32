//! The client library against a real rollcall server on both engines (`api`), and its retry and
//! token handling against a scripted mock for the faults a real server cannot be made to show
//! (`faults`). One test binary, so the server is linked once.

#[macro_use]
extern crate rollcall_testkit;

mod api;
mod faults;
