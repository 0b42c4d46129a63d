//! The built-in simulated endpoint (stub).
