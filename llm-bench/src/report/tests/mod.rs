//! The reports and exports end to end, from synthetic stored runs ([`common`]): the HTML
//! report ([`html`]; as headless Chromium renders it, [`chromium`]), the Markdown summary
//! ([`markdown`]), the export formats ([`exports`]), and load, objectives and sweeps in all
//! of them ([`load`]). Snapshots are in `snapshots/`.

#[cfg(feature = "html-report")]
mod chromium;
mod common;
mod connections;
mod exports;
#[cfg(feature = "html-report")]
mod html;
mod load;
mod markdown;
