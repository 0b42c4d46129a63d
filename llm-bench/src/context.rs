//! The per-request context a scenario receives.

/// The per-request context passed to every scenario invocation.
pub struct Ctx {
    _private: (),
}
