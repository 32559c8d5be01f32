//! The shared harness (`rollcall-testkit`: a real server on `127.0.0.1:0` on either engine) and
//! the target-user helpers of these tests.

pub mod scim;
pub mod tu;

pub use rollcall_testkit::*;
