//! The state the handlers and the server handle share.

use std::future::Future;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::watch;

use super::capacity::Slots;
use super::drift::Drift;
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
    /// When the server started, on the pacing's clock: the origin of the
    /// [`Drift`]'s time (never reset, not even by a new profile).
    pub(crate) started_at: quanta::Instant,
}

/// The profile requests get, where their index count is, and the profile's slots.
pub(crate) struct ProfileState {
    /// The profile of requests received from now on.
    profile: LatencyProfile,
    /// The index of the next request.
    next_index: u64,
    /// The generation slots of the profile's capacity, if it has any (requests keep the
    /// slots they were received with when the profile changes).
    slots: Option<Arc<Slots>>,
    /// The profile's latency factor model.
    drift: Arc<Drift>,
}

impl ProfileState {
    /// The state of a server starting with `profile`.
    pub(crate) fn new(profile: LatencyProfile) -> Self {
        ProfileState {
            slots: Slots::of(&profile.capacity),
            drift: Arc::new(Drift::of(&profile)),
            profile,
            next_index: 0,
        }
    }

    /// The profile.
    pub(crate) fn profile(&self) -> &LatencyProfile {
        &self.profile
    }
}

/// What a request just received gets from the server's state.
pub(crate) struct Assigned {
    /// The profile it is answered with.
    pub(crate) profile: LatencyProfile,
    /// Its index on the server.
    pub(crate) index: u64,
    /// The slots it waits for, if the profile has any.
    pub(crate) slots: Option<Arc<Slots>>,
    /// The profile's latency factor model.
    pub(crate) drift: Arc<Drift>,
}

impl Shared {
    /// The current profile, the index of a new request and the slots it waits for.
    pub(crate) fn next_request(&self) -> Assigned {
        let mut state = self.profile.lock().unwrap_or_else(PoisonError::into_inner);
        let index = state.next_index;
        state.next_index += 1;
        Assigned {
            profile: state.profile.clone(),
            index,
            slots: state.slots.clone(),
            drift: Arc::clone(&state.drift),
        }
    }

    /// Replaces the profile of new requests, and restarts the index at 0. The slots stay
    /// the same when the capacity settings do; otherwise the new profile gets new ones.
    pub(crate) fn set_profile(&self, profile: LatencyProfile) {
        let mut state = self.profile.lock().unwrap_or_else(PoisonError::into_inner);
        let slots = if state.profile.capacity == profile.capacity {
            state.slots.take()
        } else {
            Slots::of(&profile.capacity)
        };
        *state = ProfileState {
            drift: Arc::new(Drift::of(&profile)),
            profile,
            next_index: 0,
            slots,
        };
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
pub(crate) struct InFlight {
    /// The server's state.
    shared: Arc<Shared>,
    /// The request's number among every request the server received (from 0).
    number: u64,
}

impl InFlight {
    /// Counts a request that just arrived.
    pub(crate) fn new(shared: &Arc<Shared>) -> Self {
        shared.in_flight.fetch_add(1, Ordering::SeqCst);
        let number = shared.received.fetch_add(1, Ordering::SeqCst);
        InFlight {
            shared: Arc::clone(shared),
            number,
        }
    }

    /// The server's state.
    pub(crate) fn shared(&self) -> &Shared {
        &self.shared
    }

    /// The request's number among every request the server received (from 0, never
    /// restarted): its request id's.
    pub(crate) fn number(&self) -> u64 {
        self.number
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.shared.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}
