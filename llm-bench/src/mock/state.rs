//! The state the handlers and the server handle share.

use std::future::Future;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::watch;

use super::profile::LatencyProfile;
use super::truth::TruthStore;

/// State shared by the handlers and the server handle.
pub(crate) struct Shared {
    /// The profile of new requests, and the next request's index.
    pub(crate) profile: Mutex<ProfileState>,
    /// The next answer's serial number, which its ids derive from.
    pub(crate) ids: AtomicU64,
    /// The recorded truth.
    pub(crate) truth: TruthStore,
    /// Requests being answered.
    pub(crate) in_flight: AtomicUsize,
    /// Requests received since the server started.
    pub(crate) received: AtomicU64,
    /// The model the server lists and answers as when a request names none.
    pub(crate) model: String,
    /// True once the server is shutting down.
    pub(crate) closing: watch::Receiver<bool>,
}

/// The profile requests get, and where their index count is.
pub(crate) struct ProfileState {
    /// The profile of requests received from now on.
    pub(crate) profile: LatencyProfile,
    /// The index of the next request.
    pub(crate) next_index: u64,
}

impl Shared {
    /// The current profile and the index of a new request.
    pub(crate) fn next_request(&self) -> (LatencyProfile, u64) {
        let mut state = self.profile.lock().unwrap_or_else(PoisonError::into_inner);
        let index = state.next_index;
        state.next_index += 1;
        (state.profile.clone(), index)
    }

    /// A future that completes when the server starts shutting down.
    pub(crate) fn closing(&self) -> impl Future<Output = ()> + Send + 'static {
        let mut rx = self.closing.clone();
        async move {
            // An error means the handle is gone: that is a shutdown too.
            let _ = rx.wait_for(|closing| *closing).await;
        }
    }
}

/// Counts a request as in flight for as long as it lives (and as received when it starts).
pub(crate) struct InFlight(Arc<Shared>);

impl InFlight {
    /// Counts a request that just arrived.
    pub(crate) fn new(shared: &Arc<Shared>) -> Self {
        shared.in_flight.fetch_add(1, Ordering::SeqCst);
        shared.received.fetch_add(1, Ordering::SeqCst);
        InFlight(Arc::clone(shared))
    }

    /// The server's state.
    pub(crate) fn shared(&self) -> &Shared {
        &self.0
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}
