//! The report as a browser sees it: headless Chromium loads the pages from `file://` and
//! dumps the DOM, which must hold every scenario name and verdict, and no script element.
//!
//! Needs `/usr/bin/chromium` (Debian's `chromium` package). Without it the test is skipped
//! with a message, unless `CI=true`, where it fails.

use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::common::{open_loop_run, options, regressed_comparison, run, sweep, sweep_runs, EVIL};
use crate::report::{write_html, ReportInput, ReportSet};

const CHROMIUM: &str = "/usr/bin/chromium";

fn chromium_available() -> bool {
    if Path::new(CHROMIUM).exists() {
        return true;
    }
    let msg = format!("{CHROMIUM} not found (apt-get install -y chromium)");
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "{msg}: required when CI=true"
    );
    eprintln!("skipped: {msg}");
    false
}

/// The DOM Chromium builds from `page`, offline, with a fresh profile.
fn dump_dom(page: &Path) -> String {
    let profile = tempfile::tempdir().unwrap();
    // Output goes to files: a page with charts is larger than a pipe's buffer, and
    // reading only after exit would deadlock on a pipe.
    let out_path = profile.path().join("dom.html");
    let err_path = profile.path().join("stderr.txt");
    let mut child = Command::new(CHROMIUM)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--no-first-run",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            "--dump-dom",
        ])
        .arg(format!(
            "--user-data-dir={}",
            profile.path().join("profile").display()
        ))
        .arg(format!("file://{}", page.display()))
        .stdin(Stdio::null())
        .stdout(fs::File::create(&out_path).unwrap())
        .stderr(fs::File::create(&err_path).unwrap())
        .spawn()
        .expect("start chromium");
    // Bounded: a hung browser fails the test instead of hanging it.
    let deadline = Instant::now() + Duration::from_secs(90);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("chromium did not finish within 90 s on {}", page.display());
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(
        status.success(),
        "chromium failed on {}: {}",
        page.display(),
        fs::read_to_string(&err_path).unwrap_or_default()
    );
    fs::read_to_string(&out_path).expect("utf-8 DOM")
}

/// `text` as a DOM serialiser writes text content.
fn dom_text(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[test]
fn chromium_shows_every_scenario_and_verdict() {
    if !chromium_available() {
        return;
    }
    // A browser is the heaviest thing the unit tests start: not beside the timing-sensitive
    // tests in the same binary.
    let _alone = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(crate::test_support::exclusive());
    let dir = tempfile::tempdir().unwrap();
    let a = run("chat/short turn", 24, 100, &[5, 9]);
    let a_base = run("chat/short turn", 24, 90, &[]);
    let cmp = regressed_comparison("main");
    let evil_id = format!("evil/{EVIL}");
    let evil = run(&evil_id, 6, 50, &[1, 2]);
    let plain = run("embeddings", 12, 20, &[]);
    let open = open_loop_run("open/steady");
    let steps = sweep_runs("chat");
    crate::store::save_sweep(dir.path(), &sweep("chat")).unwrap();
    let mut inputs = vec![
        ReportInput {
            run: &a,
            baseline: Some(&a_base),
            comparison: Some(&cmp),
        },
        ReportInput::new(&evil),
        ReportInput::new(&plain),
        ReportInput::new(&open),
    ];
    inputs.extend(steps.iter().map(ReportInput::new));
    let report_dir = dir.path().join("report");
    let files = write_html(&report_dir, &ReportSet::new(&inputs), &options(true)).unwrap();

    let dom = dump_dom(&files.index);
    assert!(dom.contains("llm-bench report"), "{dom}");
    for (id, verdict) in [
        ("chat/short turn", "regressed"),
        (evil_id.as_str(), "no baseline"),
        ("embeddings", "no baseline"),
    ] {
        let row = dom
            .split("<tr class=\"scenario\">")
            .find(|row| row.contains(&format!(">{}</a>", dom_text(id))))
            .unwrap_or_else(|| panic!("no row for {id:?} in the DOM:\n{dom}"));
        assert!(
            row.contains(verdict),
            "row of {id:?} lacks {verdict:?}: {row}"
        );
    }
    assert!(
        !dom.to_ascii_lowercase().contains("<script"),
        "a script element got in"
    );

    for (page, id, verdict) in [
        (&files.pages[0], "chat/short turn", "regressed"),
        (&files.pages[1], evil_id.as_str(), "no baseline"),
    ] {
        let dom = dump_dom(page);
        assert!(dom.contains(&dom_text(id)), "page lacks {id:?}");
        assert!(dom.contains(verdict), "page lacks {verdict:?}");
        assert!(dom.contains("<svg"), "charts are in the DOM");
        assert!(!dom.to_ascii_lowercase().contains("<script"));
    }

    // The client-bound banner and the goodput of an open-loop run; a sweep's page.
    let dom = dump_dom(&files.pages[3]);
    assert!(dom.contains("id=\"client-bound\""), "no banner in the DOM");
    assert!(
        dom.contains("3.60 good requests/s"),
        "no goodput in the DOM"
    );
    let dom = dump_dom(&files.sweep_pages[0]);
    assert!(
        dom.contains("knee at rate 100"),
        "sweep page lacks its knee"
    );
    assert!(dom.contains("<svg") && !dom.to_ascii_lowercase().contains("<script"));
}
