//! The reports and exports end to end, from synthetic stored runs ([`common`]): the HTML
//! report ([`html`]; as headless Chromium renders it, [`chromium`]), the Markdown summary
//! ([`markdown`]) and the export formats ([`exports`]). Snapshots are in `snapshots/`.

#[cfg(feature = "html-report")]
mod chromium;
mod common;
mod exports;
#[cfg(feature = "html-report")]
mod html;
mod markdown;
