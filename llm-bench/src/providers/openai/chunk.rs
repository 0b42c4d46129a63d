//! Chunk parser (stub).
