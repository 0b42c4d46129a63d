//! Example application code.
