//! The reports and exports end to end, from synthetic stored runs ([`common`]): the HTML
//! report ([`html`]; as headless Chromium renders it, [`chromium`]), the Markdown summary
//! ([`markdown`]), the export formats ([`exports`]), load, objectives and sweeps in all
//! of them ([`load`]), and head-to-head records in the summary and on the index
//! ([`head_to_head`]). Snapshots are in `snapshots/`. [`common`]'s runs also serve the console
//! block's tests (`harness::console`).

#[cfg(feature = "html-report")]
mod chromium;
pub(crate) mod common;
mod connections;
mod exports;
mod head_to_head;
#[cfg(feature = "html-report")]
mod html;
mod load;
mod markdown;
