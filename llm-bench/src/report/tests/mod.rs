//! The reports and exports end to end, from synthetic stored runs ([`common`]): the HTML
//! report ([`html`]; as headless Chromium renders it, [`chromium`]), the Markdown summary
//! ([`markdown`]), the export formats ([`exports`]), and load, objectives and sweeps in all
//! of them ([`load`]). Snapshots are in `snapshots/`. [`common`]'s runs also serve the console
//! block's tests (`harness::console`).

#[cfg(feature = "html-report")]
mod chromium;
pub(crate) mod common;
mod connections;
mod exports;
#[cfg(feature = "html-report")]
mod html;
mod load;
mod markdown;
