//! Server-sent events decoding (stub).
