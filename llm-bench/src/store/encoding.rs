//! How a stored file is encoded on disk: pretty JSON, readable with any tool, or, for a
//! file that would be big (a run of many thousands of requests), the same JSON without
//! whitespace, gzip-compressed, under the same name with `.gz` added (`run.json.gz`). The
//! schema is the same either way; readers tell the two apart by the gzip magic bytes, so a
//! compressed file under any name reads.

use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use flate2::Compression;
use serde::Serialize;

use super::write_atomic;
use crate::error::{Error, Result};

/// Pretty JSON above this many bytes is written compressed instead (about 6 000 requests of
/// the built-in client); below it a stored file stays plain text.
pub(crate) const COMPRESS_ABOVE_BYTES: usize = 4 << 20;

/// The suffix a compressed file's name gets.
pub(crate) const GZ_SUFFIX: &str = ".gz";

/// The first two bytes of every gzip stream.
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// `path` with `.gz` appended to its file name.
pub(crate) fn compressed_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(GZ_SUFFIX);
    path.with_file_name(name)
}

/// The file stored under the plain name `path` (`.../run.json`): that file, or its
/// compressed form (`run.json.gz`); when both exist (a write was cut off between writing
/// one and removing the other), the newer. `None` when neither is a file.
pub fn stored_file(path: &Path) -> Option<PathBuf> {
    let gz = compressed_path(path);
    let modified = |p: &Path| {
        fs::metadata(p)
            .ok()
            .filter(|m| m.is_file())?
            .modified()
            .ok()
    };
    match (modified(path), modified(&gz)) {
        (Some(plain), Some(compressed)) if compressed > plain => Some(gz),
        (Some(_), _) => Some(path.to_path_buf()),
        (None, Some(_)) => Some(gz),
        (None, None) => None,
    }
}

/// What [`write_stored`] does with a big file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Big {
    /// Compress it under the name with `.gz` added (files the store names).
    Compress,
    /// Keep the name it was given, plain (files a user names: compressed only when the
    /// name ends in `.gz`).
    KeepName,
}

/// Writes `value` under the plain name `path`: as pretty JSON, or compressed as
/// `path.gz` when the pretty JSON exceeds [`COMPRESS_ABOVE_BYTES`] and `big` says so, or
/// compressed under `path` itself when it ends in `.gz`. Atomic; the other form of the
/// file, if any, is removed after the write, so a reader never finds a stale copy alone.
/// Returns the path written.
pub(crate) fn write_stored<T: Serialize>(path: &Path, value: &T, big: Big) -> Result<PathBuf> {
    let encode_error =
        |e: serde_json::Error| Error::Config(format!("could not encode {}: {e}", path.display()));
    let named_gz = path.to_string_lossy().ends_with(GZ_SUFFIX);
    let pretty = if named_gz {
        None
    } else {
        Some(serde_json::to_vec_pretty(value).map_err(encode_error)?)
    };
    let (written, other) = match pretty {
        Some(json) if json.len() <= COMPRESS_ABOVE_BYTES || big == Big::KeepName => {
            write_atomic(path, &json)?;
            let other = (big == Big::Compress).then(|| compressed_path(path));
            (path.to_path_buf(), other)
        }
        _ => {
            let json = serde_json::to_vec(value).map_err(encode_error)?;
            let target = if named_gz {
                path.to_path_buf()
            } else {
                compressed_path(path)
            };
            write_atomic(&target, &gzip(&json, &target)?)?;
            (target, (!named_gz).then(|| path.to_path_buf()))
        }
    };
    if let Some(other) = other {
        match fs::remove_file(&other) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(Error::io(
                    format!("could not remove {}", other.display()),
                    e,
                ))
            }
            _ => {}
        }
    }
    Ok(written)
}

/// gzip at level 3 (zlib-rs): for 100 000 requests 8.0 MB in 0.45 s, where level 6 gave
/// 7.7 MB in 0.8 s (`cargo bench --bench store`); the store's budget is 10 MB.
fn gzip(bytes: &[u8], path: &Path) -> Result<Vec<u8>> {
    let mut encoder = GzEncoder::new(Vec::with_capacity(bytes.len() / 6), Compression::new(3));
    encoder
        .write_all(bytes)
        .and_then(|()| encoder.finish())
        .map_err(|e| Error::io(format!("could not compress {}", path.display()), e))
}

/// The text of a stored file, decompressed when it is gzip (whatever its name).
pub(crate) fn read_stored(path: &Path) -> Result<String> {
    let bytes =
        fs::read(path).map_err(|e| Error::io(format!("could not read {}", path.display()), e))?;
    if !bytes.starts_with(&GZIP_MAGIC) {
        return String::from_utf8(bytes)
            .map_err(|_| Error::Config(format!("{} is not UTF-8 text", path.display())));
    }
    let mut text = String::with_capacity(bytes.len() * 6);
    GzDecoder::new(bytes.as_slice())
        .read_to_string(&mut text)
        .map_err(|e| {
            Error::Config(format!(
                "{} is a damaged compressed file (its write was cut off?): {e}",
                path.display()
            ))
        })?;
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize, serde::Deserialize, PartialEq, Debug)]
    struct Doc {
        values: Vec<u64>,
    }

    #[test]
    fn small_files_stay_pretty_json_and_big_ones_are_compressed_beside_them() {
        let dir = tempfile::tempdir().unwrap();
        let plain = dir.path().join("run.json");
        let small = Doc { values: vec![1, 2] };
        assert_eq!(write_stored(&plain, &small, Big::Compress).unwrap(), plain);
        assert!(fs::read_to_string(&plain)
            .unwrap()
            .contains("\n  \"values\""));

        let big = Doc {
            values: (0..600_000u64).map(|v| v % 1000).collect(),
        };
        let written = write_stored(&plain, &big, Big::Compress).unwrap();
        assert_eq!(written, dir.path().join("run.json.gz"));
        assert!(!plain.exists(), "the plain copy is removed");
        assert_eq!(stored_file(&plain), Some(written.clone()));
        let back: Doc = serde_json::from_str(&read_stored(&written).unwrap()).unwrap();
        assert_eq!(back, big);
        assert!(fs::metadata(&written).unwrap().len() < (COMPRESS_ABOVE_BYTES / 4) as u64);

        // Small again: plain, and the compressed copy goes.
        write_stored(&plain, &small, Big::Compress).unwrap();
        assert_eq!(stored_file(&plain), Some(plain.clone()));
        assert!(!written.exists());
    }

    #[test]
    fn a_name_ending_in_gz_is_always_compressed_and_reads_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bundle.json.gz");
        let doc = Doc { values: vec![3] };
        assert_eq!(write_stored(&path, &doc, Big::KeepName).unwrap(), path);
        assert!(fs::read(&path).unwrap().starts_with(&GZIP_MAGIC));
        let back: Doc = serde_json::from_str(&read_stored(&path).unwrap()).unwrap();
        assert_eq!(back, doc);
    }

    #[test]
    fn a_cut_off_compressed_file_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("run.json.gz");
        write_stored(
            &path,
            &Doc {
                values: (0..10_000).collect(),
            },
            Big::KeepName,
        )
        .unwrap();
        let bytes = fs::read(&path).unwrap();
        fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
        let err = read_stored(&path).unwrap_err().to_string();
        assert!(
            err.contains("run.json.gz is a damaged compressed file"),
            "{err}"
        );
    }
}
