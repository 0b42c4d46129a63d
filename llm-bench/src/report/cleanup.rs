//! Removes what earlier reports left in the report directory and this one did not write:
//! the pages and charts of scenarios no longer in the report, and charts a page no longer
//! has (the run had no errors this time, or `--noplot`).
//!
//! Only `.html` and `.svg` files directly inside the report directory's subdirectories (the
//! page directories) are removed, then those subdirectories if left empty; symbolic links
//! are not followed, and nothing outside the report directory is touched.

use std::collections::HashSet;
use std::fs;
use std::path::{Path, PathBuf};

use super::{ReportFiles, Result};
use crate::Error;

/// Removes the page and chart files under `dir` that `files` (the report just written
/// there) does not list; returns the files removed.
pub(crate) fn remove_stale_pages(dir: &Path, files: &ReportFiles) -> Result<Vec<PathBuf>> {
    let keep: HashSet<&Path> = files
        .pages
        .iter()
        .chain(&files.sweep_pages)
        .chain(&files.charts)
        .map(PathBuf::as_path)
        .collect();
    let mut removed = Vec::new();
    for page_dir in real_entries(dir, |t| t.is_dir())? {
        for file in real_entries(&page_dir, |t| t.is_file())? {
            let ours = file.extension().is_some_and(|x| x == "html" || x == "svg");
            if ours && !keep.contains(file.as_path()) {
                fs::remove_file(&file)
                    .map_err(|e| Error::io(format!("could not remove {}", file.display()), e))?;
                removed.push(file);
            }
        }
        // Fails, as it should, when something else is left in it.
        let _ = fs::remove_dir(&page_dir);
    }
    removed.sort();
    Ok(removed)
}

/// Removes every page, chart and the index of an earlier HTML report under `dir`, for a
/// build without the `html-report` feature: none of them describes this run, and a
/// reviewer must not open one as if it did. The Markdown summary and exports stay.
#[cfg(not(feature = "html-report"))]
pub(crate) fn remove_all_pages(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut removed = remove_stale_pages(dir, &ReportFiles::default())?;
    let index = dir.join("index.html");
    if fs::symlink_metadata(&index).is_ok_and(|m| m.is_file()) {
        fs::remove_file(&index)
            .map_err(|e| Error::io(format!("could not remove {}", index.display()), e))?;
        removed.push(index);
    }
    Ok(removed)
}

/// The entries of `dir` that are not hidden and whose own type (links not followed)
/// passes `keep`.
fn real_entries(dir: &Path, keep: impl Fn(fs::FileType) -> bool) -> Result<Vec<PathBuf>> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(Error::io(format!("could not list {}", dir.display()), e).into()),
    };
    Ok(entries
        .flatten()
        .filter(|e| e.file_type().is_ok_and(&keep))
        .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
        .map(|e| e.path())
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_unlisted_pages_and_charts_go() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        for f in [
            "index.html",
            "summary.md",
            "kept/index.html",
            "kept/ttft.svg",
            "kept/errors.svg",
            "kept/notes.txt",
            "gone/index.html",
            "gone/ttft.svg",
            "mixed/index.html",
            "mixed/mine.txt",
        ] {
            let p = d.join(f);
            fs::create_dir_all(p.parent().unwrap()).unwrap();
            fs::write(p, "x").unwrap();
        }
        let files = ReportFiles {
            index: d.join("index.html"),
            pages: vec![d.join("kept/index.html")],
            charts: vec![d.join("kept/ttft.svg")],
            ..ReportFiles::default()
        };
        let removed = remove_stale_pages(d, &files).unwrap();
        let rel: Vec<_> = removed
            .iter()
            .map(|p| p.strip_prefix(d).unwrap().display().to_string())
            .collect();
        assert_eq!(
            rel,
            [
                "gone/index.html",
                "gone/ttft.svg",
                "kept/errors.svg",
                "mixed/index.html"
            ]
        );
        assert!(!d.join("gone").exists());
        assert!(d.join("mixed/mine.txt").is_file());
        assert!(d.join("kept/notes.txt").is_file());
        assert!(d.join("index.html").is_file() && d.join("summary.md").is_file());
    }

    #[cfg(not(feature = "html-report"))]
    #[test]
    fn without_the_html_report_no_page_of_an_earlier_one_is_left() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        for f in [
            "index.html",
            "summary.md",
            "llm-bench.json",
            "a/index.html",
            "a/ttft.svg",
        ] {
            let p = d.join(f);
            fs::create_dir_all(p.parent().unwrap()).unwrap();
            fs::write(p, "x").unwrap();
        }
        let removed = remove_all_pages(d).unwrap();
        assert_eq!(removed.len(), 3, "{removed:?}");
        assert!(!d.join("index.html").exists() && !d.join("a").exists());
        assert!(d.join("summary.md").is_file() && d.join("llm-bench.json").is_file());
    }
}
