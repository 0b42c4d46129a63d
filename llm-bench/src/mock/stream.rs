//! The body of a streamed answer: the dialect's frames, each sent when its deadline has
//! passed, and the truth of when each went out; a fault's mid-stream stall or cut; the
//! generation slot it holds.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use axum::body::Bytes;
use futures_util::Stream;

use super::capacity::Slot;
use super::dialect::DialectWriter;
use super::fault::Disruption;
use super::pacing::Pacer;
use super::state::InFlight;
use super::truth::RequestTruth;
use super::written::ConnWrites;

/// Where a stream is.
#[derive(Clone, Copy)]
enum Phase {
    /// Next: the frame that goes with the headers, at once (if the dialect has one).
    Head,
    /// Next: token `i`, at its deadline.
    Token(u32),
    /// Next: the end of the stream (finish, usage, terminator), at once; when no token was
    /// sent, at the pacer's deadline.
    Trailer,
    /// Over.
    Done,
}

/// The body of a streamed answer. It is polled by the connection's task: each token is
/// produced when its absolute deadline has passed, and its time recorded right before the
/// frame is handed to hyper. No task of its own: when the client goes away, hyper drops the
/// body and generation stops (and its slot is freed).
pub(crate) struct StreamBody<D: DialectWriter> {
    /// The dialect that writes the frames.
    dialect: &'static D,
    /// The dialect's state of this answer.
    writer: D::Stream,
    /// The tokens' deadlines.
    pacer: Pacer,
    /// Where the stream is.
    phase: Phase,
    /// Tokens to send.
    tokens: u32,
    /// Completes when the server starts shutting down.
    closing: Pin<Box<dyn Future<Output = ()> + Send>>,
    /// The request's truth; taken when stored.
    truth: Option<RequestTruth>,
    /// Counts the request in flight, and reaches the truth store.
    in_flight: InFlight,
    /// A fault's stall or cut, if any.
    disruption: Disruption,
    /// The generation slot held until the stream is over, if the profile has slots.
    slot: Option<Slot>,
    /// The connection's writes: told of each token's frame, so its write is stamped.
    conn: ConnWrites,
}

/// One item of the body: a frame, or the error that cuts the connection.
type Item = Result<Bytes, io::Error>;

impl<D: DialectWriter> StreamBody<D> {
    /// The body that sends `tokens` tokens of `writer`'s answer at `pacer`'s deadlines,
    /// recording them in `truth`.
    pub(crate) fn new(
        dialect: &'static D,
        writer: D::Stream,
        pacer: Pacer,
        tokens: u32,
        truth: RequestTruth,
        in_flight: InFlight,
        conn: ConnWrites,
    ) -> Self {
        let closing = Box::pin(in_flight.shared().closing());
        StreamBody {
            dialect,
            writer,
            pacer,
            phase: Phase::Head,
            tokens,
            closing,
            truth: Some(truth),
            in_flight,
            disruption: Disruption::default(),
            slot: None,
            conn,
        }
    }

    /// The body with a fault's stall or cut.
    pub(crate) fn disrupted(mut self, disruption: Disruption) -> Self {
        if let Some((0, stall)) = disruption.stall {
            self.pacer.delay(stall);
        }
        self.disruption = disruption;
        self
    }

    /// The body holding a generation slot, freed when the stream is over or dropped.
    pub(crate) fn holding(mut self, slot: Option<Slot>) -> Self {
        self.slot = slot;
        self
    }

    /// Stores the truth, once, and frees the slot: the stream is over.
    fn store(&mut self, completed: bool, finished_at: Option<quanta::Instant>) {
        self.slot = None;
        if let Some(mut truth) = self.truth.take() {
            truth.completed = completed;
            truth.finished_at = finished_at;
            self.in_flight.shared().truth.push(truth);
        }
    }

    /// One frame, ready.
    fn frame(s: String) -> Poll<Option<Item>> {
        Poll::Ready(Some(Ok(Bytes::from(s))))
    }

    /// Cuts the connection (a `disconnect` fault): the body fails, so the HTTP layer
    /// closes the connection without the end of the chunked body.
    fn cut(&mut self) -> Poll<Option<Item>> {
        self.phase = Phase::Done;
        self.store(false, None);
        Poll::Ready(Some(Err(io::Error::new(
            io::ErrorKind::ConnectionAborted,
            "the llm-bench mock cut the connection (disconnect fault)",
        ))))
    }

    /// Waits for the current deadline; `None` when the server is shutting down (the stream
    /// is then over, recorded as not completed).
    fn poll_deadline(&mut self, cx: &mut Context<'_>) -> Poll<Option<quanta::Instant>> {
        if self.closing.as_mut().poll(cx).is_ready() {
            self.phase = Phase::Done;
            self.store(false, None);
            return Poll::Ready(None);
        }
        self.pacer.poll_due(cx).map(Some)
    }

    /// Ends the stream with the trailer, if the dialect has one.
    fn trailer(&mut self) -> Poll<Option<Item>> {
        let frame = self.dialect.trailer(&mut self.writer);
        self.phase = Phase::Done;
        self.store(true, Some(quanta::Instant::now()));
        match frame {
            Some(frame) => Self::frame(frame),
            None => Poll::Ready(None),
        }
    }
}

impl<D: DialectWriter> Stream for StreamBody<D> {
    type Item = Item;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            match this.phase {
                Phase::Head => {
                    let frame = this.dialect.head(&mut this.writer);
                    if let Some(truth) = &mut this.truth {
                        truth.headers_sent_at = quanta::Instant::now();
                    }
                    this.phase = if this.tokens == 0 {
                        Phase::Trailer
                    } else {
                        Phase::Token(0)
                    };
                    match frame {
                        Some(frame) => return Self::frame(frame),
                        // Nothing to send with the headers: on to the first token (hyper
                        // flushes the headers while the body is pending).
                        None => continue,
                    }
                }
                Phase::Token(i) => {
                    let Some(now) = ready!(this.poll_deadline(cx)) else {
                        return Poll::Ready(None);
                    };
                    if this.disruption.cut_at == Some(i) {
                        return this.cut();
                    }
                    let frame = this.dialect.token(&mut this.writer, i);
                    if i + 1 < this.tokens {
                        this.pacer.advance();
                        if let Some((at, stall)) = this.disruption.stall {
                            if at == i + 1 {
                                this.pacer.delay(stall);
                            }
                        }
                        this.phase = Phase::Token(i + 1);
                    } else {
                        this.phase = Phase::Trailer;
                    }
                    // Record as late as possible: right before the frame goes to hyper.
                    let sent = quanta::Instant::now().max(now);
                    if let Some(truth) = &mut this.truth {
                        truth.token_sent_at.push(sent);
                    }
                    this.conn.expect_token();
                    return Self::frame(frame);
                }
                Phase::Trailer => {
                    if this.tokens == 0 && ready!(this.poll_deadline(cx)).is_none() {
                        return Poll::Ready(None);
                    }
                    if this.disruption.cut_at.is_some() {
                        // A stream of no tokens is cut where its end would be.
                        return this.cut();
                    }
                    return this.trailer();
                }
                Phase::Done => return Poll::Ready(None),
            }
        }
    }
}

impl<D: DialectWriter> Drop for StreamBody<D> {
    fn drop(&mut self) {
        // The client went away (or the server stopped) before the end.
        self.store(false, None);
    }
}
