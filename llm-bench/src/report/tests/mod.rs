//! The reports and exports end to end, from synthetic stored runs ([`common`]): the HTML
//! report ([`html`]; as headless Chromium renders it, [`chromium`]), the Markdown summary
//! ([`markdown`]) and the export formats ([`exports`]). Snapshots are in `snapshots/`.

mod chromium;
mod common;
mod exports;
mod html;
mod markdown;
