//! Incremental decoding of AWS binary event streams (`application/vnd.amazon.eventstream`),
//! the framing of Amazon Bedrock's streaming APIs (see
//! [`bedrock`](crate::providers::bedrock)).
//!
//! # Frame format
//!
//! A stream is a sequence of frames ("messages"), back to back, with no separator. All
//! integers are big-endian; both checksums are CRC-32 (IEEE, as in zlib and Ethernet):
//!
//! | bytes | field |
//! |---|---|
//! | 4 | total length `T` of the frame, these 4 bytes and the final checksum included |
//! | 4 | length `H` of the headers |
//! | 4 | prelude CRC: CRC-32 of the 8 bytes above |
//! | `H` | headers |
//! | `T - H - 16` | payload (for Bedrock, JSON) |
//! | 4 | message CRC: CRC-32 of every byte of the frame before it, prelude included |
//!
//! Each header is a name length (u8), the name (UTF-8), a type (u8) and a value whose shape
//! the type gives:
//!
//! | type | value |
//! |---|---|
//! | 0 / 1 | boolean `true` / `false`, no value bytes |
//! | 2 | byte (i8) |
//! | 3 | short (i16) |
//! | 4 | integer (i32) |
//! | 5 | long (i64) |
//! | 6 | byte array: length (u16), bytes |
//! | 7 | string: length (u16), UTF-8 bytes |
//! | 8 | timestamp: i64 milliseconds since the Unix epoch |
//! | 9 | UUID: 16 bytes |
//!
//! Bedrock sends string headers only: `:message-type` (`event`, `exception` or `error`),
//! `:event-type` (or `:exception-type`) and `:content-type`.
//!
//! # Decoding
//!
//! [`EventStreamDecoder`] turns the bytes of a body, in reads of any size, into
//! [`Message`]s, driven by [`Poisoning`](super::Poisoning) like every [framing](super). A
//! message is emitted by the very [`feed`](super::Poisoning::feed) call that delivers the last
//! byte of its frame (the message CRC): a frame is complete only once both checksums have
//! been verified. The result never depends on how the bytes were split into reads.
//!
//! Server bytes are never trusted: every length is checked against what remains, both CRCs
//! are verified, and a frame whose prelude announces more than the limit
//! ([`DEFAULT_MAX_FRAME_LEN`], 16 MiB, unless set with
//! [`EventStreamDecoder::with_max_frame_len`]) fails with
//! [`EventStreamError::FrameTooLarge`] as soon as its prelude has arrived. The decoder holds
//! at most one frame, and only the bytes of it that have arrived (the announced length is not
//! allocated up front). Every error is a malformed stream; after one,
//! [`Poisoning`](super::Poisoning) refuses further input, repeating the error.

use std::fmt;

use super::FrameDecoder;

/// The default limit of one frame (its total length), in bytes: 16 MiB, the largest message
/// AWS event streams allow.
pub(crate) const DEFAULT_MAX_FRAME_LEN: usize = 16 << 20;

/// Length of the prelude: total length, headers length, prelude CRC.
const PRELUDE_LEN: usize = 12;
/// The shortest frame: a prelude and a message CRC, no headers, no payload.
const MIN_FRAME_LEN: usize = PRELUDE_LEN + 4;
/// Capacity above which the frame buffer is released once its frame is done, so that one
/// large frame does not pin its memory for the rest of the stream.
const KEEP_CAPACITY: usize = 64 << 10;

/// Why an AWS event stream could not be decoded. Each variant gives the offset of the
/// offending frame's first byte in the stream.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EventStreamError {
    /// The prelude's checksum does not match its first 8 bytes: the stream is corrupt or not
    /// an event stream at all.
    #[error("eventstream frame at byte {offset}: prelude CRC {expected:#010x}, computed {computed:#010x}")]
    PreludeCrc {
        /// Offset of the frame in the stream.
        offset: u64,
        /// The checksum the frame carries.
        expected: u32,
        /// The checksum of the bytes received.
        computed: u32,
    },
    /// The message checksum does not match the frame's bytes.
    #[error("eventstream frame at byte {offset}: message CRC {expected:#010x}, computed {computed:#010x}")]
    MessageCrc {
        /// Offset of the frame in the stream.
        offset: u64,
        /// The checksum the frame carries.
        expected: u32,
        /// The checksum of the bytes received.
        computed: u32,
    },
    /// The prelude announces a frame longer than the decoder's limit.
    #[error("eventstream frame at byte {offset}: {len} bytes, over the limit of {limit}")]
    FrameTooLarge {
        /// Offset of the frame in the stream.
        offset: u64,
        /// The total length the prelude announces.
        len: u32,
        /// The limit, in bytes.
        limit: usize,
    },
    /// The prelude announces a total length below 16 bytes, or headers that do not fit in
    /// the frame.
    #[error("eventstream frame at byte {offset}: {headers_len} bytes of headers do not fit in a frame of {len} bytes")]
    BadLengths {
        /// Offset of the frame in the stream.
        offset: u64,
        /// The total length the prelude announces.
        len: u32,
        /// The headers length the prelude announces.
        headers_len: u32,
    },
    /// A header is cut short, has an unknown type, or a name or string value that is not
    /// UTF-8.
    #[error("eventstream frame at byte {offset}: bad header: {reason}")]
    BadHeader {
        /// Offset of the frame in the stream.
        offset: u64,
        /// What is wrong with it.
        reason: String,
    },
    /// The body ended inside a frame.
    #[error("eventstream cut off: the frame at byte {offset} has {received} of its bytes")]
    Incomplete {
        /// Offset of the unfinished frame in the stream.
        offset: u64,
        /// How many of its bytes arrived.
        received: usize,
    },
}

/// The value of one header, by its wire type (the type code comes before the value).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum HeaderValue {
    /// Types 0 (`true`) and 1 (`false`).
    Bool(bool),
    /// Type 2: a signed byte.
    Byte(i8),
    /// Type 3: a 16-bit integer.
    Short(i16),
    /// Type 4: a 32-bit integer.
    Int(i32),
    /// Type 5: a 64-bit integer.
    Long(i64),
    /// Type 6: bytes (at most 65,535).
    Bytes(Vec<u8>),
    /// Type 7: a UTF-8 string (at most 65,535 bytes).
    String(String),
    /// Type 8: milliseconds since the Unix epoch.
    Timestamp(i64),
    /// Type 9: a UUID, as its 16 bytes.
    Uuid([u8; 16]),
}

impl HeaderValue {
    /// The wire type code of this value (0 to 9), for [`Message::encode`].
    #[cfg(test)]
    pub fn type_code(&self) -> u8 {
        match self {
            HeaderValue::Bool(true) => 0,
            HeaderValue::Bool(false) => 1,
            HeaderValue::Byte(_) => 2,
            HeaderValue::Short(_) => 3,
            HeaderValue::Int(_) => 4,
            HeaderValue::Long(_) => 5,
            HeaderValue::Bytes(_) => 6,
            HeaderValue::String(_) => 7,
            HeaderValue::Timestamp(_) => 8,
            HeaderValue::Uuid(_) => 9,
        }
    }

    /// The string, for a string value.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            HeaderValue::String(s) => Some(s),
            _ => None,
        }
    }
}

/// One header of a frame.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Header {
    /// The name (`:event-type`, ...).
    pub name: String,
    /// The value.
    pub value: HeaderValue,
}

/// One decoded frame: its headers, in wire order, and its payload.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Message {
    /// The headers, in the order they came.
    pub headers: Vec<Header>,
    /// The payload bytes.
    pub payload: Vec<u8>,
}

impl Message {
    /// The value of the first header called `name`.
    pub fn header(&self, name: &str) -> Option<&HeaderValue> {
        self.headers
            .iter()
            .find(|h| h.name == name)
            .map(|h| &h.value)
    }

    /// The value of the first header called `name`, if it is a string.
    pub fn str_header(&self, name: &str) -> Option<&str> {
        self.header(name).and_then(HeaderValue::as_str)
    }
}

/// Building frames: the decoder's and the Bedrock parser's tests do; nothing else writes
/// an event stream.
#[cfg(test)]
impl Message {
    /// A message with `payload` and no headers.
    pub fn new(payload: Vec<u8>) -> Self {
        Message {
            headers: Vec::new(),
            payload,
        }
    }

    /// This message with one more header.
    pub fn with_header(mut self, name: impl Into<String>, value: HeaderValue) -> Self {
        self.headers.push(Header {
            name: name.into(),
            value,
        });
        self
    }

    /// The frame of this message, both CRCs computed; `None` if it cannot be framed (a header
    /// name over 255 bytes, a string or byte-array value over 65,535 bytes, or a frame over
    /// 4 GiB). For tests and mock servers.
    pub fn encode(&self) -> Option<Vec<u8>> {
        let mut headers = Vec::new();
        for header in &self.headers {
            let name = header.name.as_bytes();
            headers.push(u8::try_from(name.len()).ok()?);
            headers.extend_from_slice(name);
            headers.push(header.value.type_code());
            match &header.value {
                HeaderValue::Bool(_) => {}
                HeaderValue::Byte(v) => headers.extend_from_slice(&v.to_be_bytes()),
                HeaderValue::Short(v) => headers.extend_from_slice(&v.to_be_bytes()),
                HeaderValue::Int(v) => headers.extend_from_slice(&v.to_be_bytes()),
                HeaderValue::Long(v) | HeaderValue::Timestamp(v) => {
                    headers.extend_from_slice(&v.to_be_bytes());
                }
                HeaderValue::Bytes(v) => {
                    headers.extend_from_slice(&u16::try_from(v.len()).ok()?.to_be_bytes());
                    headers.extend_from_slice(v);
                }
                HeaderValue::String(v) => {
                    headers.extend_from_slice(&u16::try_from(v.len()).ok()?.to_be_bytes());
                    headers.extend_from_slice(v.as_bytes());
                }
                HeaderValue::Uuid(v) => headers.extend_from_slice(v),
            }
        }
        let total = MIN_FRAME_LEN
            .checked_add(headers.len())?
            .checked_add(self.payload.len())?;
        let mut frame = Vec::with_capacity(total);
        frame.extend_from_slice(&u32::try_from(total).ok()?.to_be_bytes());
        frame.extend_from_slice(&u32::try_from(headers.len()).ok()?.to_be_bytes());
        let prelude_crc = crc32fast::hash(&frame);
        frame.extend_from_slice(&prelude_crc.to_be_bytes());
        frame.extend_from_slice(&headers);
        frame.extend_from_slice(&self.payload);
        let message_crc = crc32fast::hash(&frame);
        frame.extend_from_slice(&message_crc.to_be_bytes());
        Some(frame)
    }
}

/// An incremental, bounded decoder of AWS event streams. See the [module
/// documentation](self) for the frame format and the rules it follows.
#[derive(Debug, Clone)]
pub(crate) struct EventStreamDecoder {
    /// The bytes of the current frame received so far.
    frame: Vec<u8>,
    /// The current frame's total length, once its prelude has arrived and checked out.
    frame_len: Option<usize>,
    /// Offset in the stream of the current frame's first byte.
    offset: u64,
    max_frame_len: usize,
}

impl Default for EventStreamDecoder {
    fn default() -> Self {
        Self::new()
    }
}

impl EventStreamDecoder {
    /// A decoder with the default frame limit ([`DEFAULT_MAX_FRAME_LEN`]).
    pub(crate) fn new() -> Self {
        Self::with_max_frame_len(DEFAULT_MAX_FRAME_LEN)
    }

    /// A decoder whose frame limit (total length of one frame) is `max_frame_len` bytes.
    pub(crate) fn with_max_frame_len(max_frame_len: usize) -> Self {
        EventStreamDecoder {
            frame: Vec::new(),
            frame_len: None,
            offset: 0,
            max_frame_len,
        }
    }

    /// The limit of one frame, in bytes.
    #[cfg(test)]
    pub(crate) fn max_frame_len(&self) -> usize {
        self.max_frame_len
    }
}

impl FrameDecoder for EventStreamDecoder {
    type Frame = Message;
    type Error = EventStreamError;

    /// Gathers the prelude, checks it, then gathers the rest of the frame and decodes it once
    /// complete; buffers the bytes of an unfinished frame.
    fn decode(&mut self, bytes: &[u8], out: &mut Vec<Message>) -> Result<(), EventStreamError> {
        let mut rest = bytes;
        while !rest.is_empty() {
            let want = self.frame_len.unwrap_or(PRELUDE_LEN);
            let take = (want - self.frame.len()).min(rest.len());
            let (head, tail) = rest.split_at(take);
            self.frame.extend_from_slice(head);
            rest = tail;
            if self.frame.len() < want {
                break;
            }
            match self.frame_len {
                None => self.frame_len = Some(self.check_prelude()?),
                Some(_) => {
                    out.push(self.decode_frame()?);
                    self.offset += self.frame.len() as u64;
                    self.frame_len = None;
                    if self.frame.capacity() > KEEP_CAPACITY {
                        self.frame = Vec::new();
                    } else {
                        self.frame.clear();
                    }
                }
            }
        }
        Ok(())
    }

    /// Fails if the body ended inside a frame; otherwise resets for a new body (the limit is
    /// kept).
    fn end(&mut self, _out: &mut Vec<Message>) -> Result<(), EventStreamError> {
        if !self.frame.is_empty() {
            return Err(EventStreamError::Incomplete {
                offset: self.offset,
                received: self.frame.len(),
            });
        }
        self.frame_len = None;
        self.offset = 0;
        Ok(())
    }

    /// Drops the bytes of the unfinished frame.
    fn release(&mut self) {
        self.frame = Vec::new();
    }
}

impl EventStreamDecoder {
    /// Checks the prelude (the first 12 bytes of `self.frame`); returns the frame's total
    /// length.
    fn check_prelude(&self) -> Result<usize, EventStreamError> {
        let offset = self.offset;
        let p = &self.frame;
        let len = be_u32(p, 0);
        let headers_len = be_u32(p, 4);
        let expected = be_u32(p, 8);
        let computed = crc32fast::hash(&p[..8]);
        if expected != computed {
            return Err(EventStreamError::PreludeCrc {
                offset,
                expected,
                computed,
            });
        }
        let total = usize::try_from(len).unwrap_or(usize::MAX);
        if total > self.max_frame_len {
            return Err(EventStreamError::FrameTooLarge {
                offset,
                len,
                limit: self.max_frame_len,
            });
        }
        let headers_fit = usize::try_from(headers_len)
            .ok()
            .and_then(|h| h.checked_add(MIN_FRAME_LEN))
            .is_some_and(|min| min <= total);
        if !headers_fit {
            return Err(EventStreamError::BadLengths {
                offset,
                len,
                headers_len,
            });
        }
        Ok(total)
    }

    /// Checks the message CRC of the complete frame in `self.frame` and splits it into
    /// headers and payload. The prelude has been checked.
    fn decode_frame(&self) -> Result<Message, EventStreamError> {
        let offset = self.offset;
        let f = &self.frame;
        let crc_at = f.len() - 4;
        let expected = be_u32(f, crc_at);
        let computed = crc32fast::hash(&f[..crc_at]);
        if expected != computed {
            return Err(EventStreamError::MessageCrc {
                offset,
                expected,
                computed,
            });
        }
        // `check_prelude` made sure that 16 + headers_len <= len.
        let headers_end = PRELUDE_LEN + be_u32(f, 4) as usize;
        let headers = parse_headers(&f[PRELUDE_LEN..headers_end])
            .map_err(|reason| EventStreamError::BadHeader { offset, reason })?;
        Ok(Message {
            headers,
            payload: f[headers_end..crc_at].to_vec(),
        })
    }
}

/// The big-endian u32 at `at` of `bytes`, which the caller has checked is long enough.
fn be_u32(bytes: &[u8], at: usize) -> u32 {
    let mut b = [0; 4];
    b.copy_from_slice(&bytes[at..at + 4]);
    u32::from_be_bytes(b)
}

/// Parses the header block of a frame.
fn parse_headers(mut block: &[u8]) -> Result<Vec<Header>, String> {
    /// What a value belongs to, for error messages (formatted only on error).
    struct ValueOf<'a>(&'a str);
    impl fmt::Display for ValueOf<'_> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(f, "the value of header {:?}", self.0)
        }
    }
    /// The next `n` bytes of `block`, or an error naming `what` was cut short.
    fn take<'a>(
        block: &mut &'a [u8],
        n: usize,
        what: &dyn fmt::Display,
    ) -> Result<&'a [u8], String> {
        if block.len() < n {
            return Err(format!(
                "{what} needs {n} bytes, {} left in the header block",
                block.len()
            ));
        }
        let (head, tail) = block.split_at(n);
        *block = tail;
        Ok(head)
    }
    fn array<const N: usize>(
        block: &mut &[u8],
        what: &dyn fmt::Display,
    ) -> Result<[u8; N], String> {
        let mut a = [0; N];
        a.copy_from_slice(take(block, N, what)?);
        Ok(a)
    }
    fn utf8(bytes: &[u8], what: &dyn fmt::Display) -> Result<String, String> {
        String::from_utf8(bytes.to_vec()).map_err(|_| format!("{what} is not UTF-8"))
    }

    let mut headers = Vec::new();
    while !block.is_empty() {
        let [name_len] = array::<1>(&mut block, &"a header name length")?;
        let name = utf8(
            take(&mut block, usize::from(name_len), &"a header name")?,
            &"a header name",
        )?;
        let [kind] = array::<1>(&mut block, &"a header type")?;
        let what = ValueOf(&name);
        let value = match kind {
            0 => HeaderValue::Bool(true),
            1 => HeaderValue::Bool(false),
            2 => HeaderValue::Byte(i8::from_be_bytes(array(&mut block, &what)?)),
            3 => HeaderValue::Short(i16::from_be_bytes(array(&mut block, &what)?)),
            4 => HeaderValue::Int(i32::from_be_bytes(array(&mut block, &what)?)),
            5 => HeaderValue::Long(i64::from_be_bytes(array(&mut block, &what)?)),
            6 | 7 => {
                let len = u16::from_be_bytes(array(&mut block, &what)?);
                let bytes = take(&mut block, usize::from(len), &what)?;
                if kind == 6 {
                    HeaderValue::Bytes(bytes.to_vec())
                } else {
                    HeaderValue::String(utf8(bytes, &what)?)
                }
            }
            8 => HeaderValue::Timestamp(i64::from_be_bytes(array(&mut block, &what)?)),
            9 => HeaderValue::Uuid(array(&mut block, &what)?),
            other => return Err(format!("header {name:?} has unknown type {other}")),
        };
        headers.push(Header { name, value });
    }
    Ok(headers)
}

/// The unfinished frame: its prelude (12 bytes, whatever the limit), then at most the
/// frame limit.
#[cfg(any(test, feature = "fuzzing"))]
impl super::hostile::Bounded for EventStreamDecoder {
    fn buffers(&self) -> Vec<(&'static str, usize, usize)> {
        let limit = self.max_frame_len.max(PRELUDE_LEN);
        vec![("frame", self.frame.len(), limit)]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::framing::splits;
    use crate::framing::Poisoning;
    use proptest::prelude::*;

    fn event(event_type: &str, payload: &str) -> Message {
        Message::new(payload.as_bytes().to_vec())
            .with_header(":event-type", HeaderValue::String(event_type.into()))
            .with_header(
                ":content-type",
                HeaderValue::String("application/json".into()),
            )
            .with_header(":message-type", HeaderValue::String("event".into()))
    }

    /// Decodes `input` split at the given offsets (sorted, in range), plus `finish`.
    fn run(
        input: &[u8],
        cuts: &[usize],
        limit: usize,
    ) -> (Vec<Message>, Result<(), EventStreamError>) {
        splits::run(EventStreamDecoder::with_max_frame_len(limit), input, cuts)
    }

    fn decode(input: &[u8]) -> Result<Vec<Message>, EventStreamError> {
        let (out, result) = run(input, &[], DEFAULT_MAX_FRAME_LEN);
        result.map(|()| out)
    }

    /// Flips one bit of `frame` at `at`.
    fn corrupt(frame: &[u8], at: usize) -> Vec<u8> {
        let mut bad = frame.to_vec();
        bad[at] ^= 0x01;
        bad
    }

    #[test]
    fn module_example() {
        let frame = Message::new(br#"{"delta":{"text":"Hi"}}"#.to_vec())
            .with_header(":message-type", HeaderValue::String("event".into()))
            .with_header(
                ":event-type",
                HeaderValue::String("contentBlockDelta".into()),
            )
            .encode()
            .expect("small enough to encode");
        let mut decoder = Poisoning::new(EventStreamDecoder::new());
        let mut messages = Vec::new();
        decoder.feed(&frame[..20], &mut messages).unwrap();
        assert!(messages.is_empty()); // not complete yet
        decoder.feed(&frame[20..], &mut messages).unwrap();
        decoder.finish(&mut messages).unwrap();
        assert_eq!(
            messages[0].str_header(":event-type"),
            Some("contentBlockDelta")
        );
        assert_eq!(messages[0].payload, br#"{"delta":{"text":"Hi"}}"#);
    }

    #[test]
    fn hand_built_frame_round_trip() {
        // A frame built byte by byte, per the spec, without `encode`.
        let headers: &[u8] = b"\x0b:event-type\x07\x00\x0cmessageStart";
        let payload: &[u8] = b"{\"role\":\"assistant\"}";
        let total = (16 + headers.len() + payload.len()) as u32;
        let mut frame = Vec::new();
        frame.extend_from_slice(&total.to_be_bytes());
        frame.extend_from_slice(&(headers.len() as u32).to_be_bytes());
        let crc = crc32fast::hash(&frame);
        frame.extend_from_slice(&crc.to_be_bytes());
        frame.extend_from_slice(headers);
        frame.extend_from_slice(payload);
        let crc = crc32fast::hash(&frame);
        frame.extend_from_slice(&crc.to_be_bytes());

        let messages = decode(&frame).unwrap();
        assert_eq!(messages.len(), 1);
        assert_eq!(messages[0].str_header(":event-type"), Some("messageStart"));
        assert_eq!(messages[0].payload, payload);
        // `encode` gives the same bytes back.
        assert_eq!(messages[0].encode().unwrap(), frame);

        // Every header type survives the round trip.
        let all = Message::new(b"x".to_vec())
            .with_header("t", HeaderValue::Bool(true))
            .with_header("f", HeaderValue::Bool(false))
            .with_header("b", HeaderValue::Byte(-3))
            .with_header("s", HeaderValue::Short(-300))
            .with_header("i", HeaderValue::Int(70_000))
            .with_header("l", HeaderValue::Long(-(1 << 40)))
            .with_header("a", HeaderValue::Bytes(vec![0, 255, 7]))
            .with_header("u8", HeaderValue::String("星期一".into()))
            .with_header("ts", HeaderValue::Timestamp(1_707_756_342_000))
            .with_header("id", HeaderValue::Uuid(*b"0123456789abcdef"));
        let two = [
            all.encode().unwrap(),
            event("metadata", "{}").encode().unwrap(),
        ]
        .concat();
        assert_eq!(decode(&two).unwrap(), [all, event("metadata", "{}")]);
        // An empty message (16 bytes) is a valid frame.
        let empty = Message::default().encode().unwrap();
        assert_eq!(empty.len(), 16);
        assert_eq!(decode(&empty).unwrap(), [Message::default()]);
        assert_eq!(decode(b"").unwrap(), []);
    }

    #[test]
    fn bad_prelude_crc() {
        let frame = event("chunk", "{}").encode().unwrap();
        for at in 0..12 {
            let err = decode(&corrupt(&frame, at)).unwrap_err();
            assert!(
                matches!(err, EventStreamError::PreludeCrc { offset: 0, .. }),
                "{at}: {err:?}"
            );
        }
        // In a second frame: the first is emitted, the offset is the second's.
        let second = corrupt(&frame, 9);
        let (out, result) = run(&[frame.clone(), second].concat(), &[], 1 << 20);
        assert_eq!(out.len(), 1);
        let err = result.unwrap_err();
        assert!(
            matches!(err, EventStreamError::PreludeCrc { offset, .. } if offset == frame.len() as u64),
            "{err:?}"
        );
        assert!(err.to_string().contains("prelude CRC"), "{err}");
    }

    #[test]
    fn bad_message_crc() {
        let frame = event("contentBlockDelta", r#"{"delta":{"text":"Hi"}}"#)
            .encode()
            .unwrap();
        // Any byte after the prelude: headers, payload or the CRC itself.
        for at in 12..frame.len() {
            let err = decode(&corrupt(&frame, at)).unwrap_err();
            assert!(
                matches!(err, EventStreamError::MessageCrc { offset: 0, .. }),
                "{at}: {err:?}"
            );
        }
        // The message is not emitted, and the decoder is poisoned.
        let mut decoder = Poisoning::new(EventStreamDecoder::new());
        let mut out = Vec::new();
        let err = decoder
            .feed(&corrupt(&frame, frame.len() - 1), &mut out)
            .unwrap_err();
        assert!(out.is_empty());
        assert_eq!(decoder.feed(&frame, &mut out), Err(err.clone()));
        assert_eq!(decoder.finish(&mut out), Err(err));
        assert!(out.is_empty());
    }

    #[test]
    fn frame_over_the_size_limit() {
        let frame = Message::new(vec![b'x'; 100]).encode().unwrap();
        assert_eq!(frame.len(), 116);
        // At the limit is fine; one byte less fails, at the prelude, before the payload.
        assert_eq!(run(&frame, &[], 116).0.len(), 1);
        let (out, result) = run(&frame[..12], &[], 115);
        assert!(out.is_empty());
        assert_eq!(
            result,
            Err(EventStreamError::FrameTooLarge {
                offset: 0,
                len: 116,
                limit: 115
            })
        );
        // A hostile prelude announcing 4 GiB (with a valid CRC) fails at once, at the
        // default limit, with nothing allocated for it.
        let mut prelude = Vec::new();
        prelude.extend_from_slice(&u32::MAX.to_be_bytes());
        prelude.extend_from_slice(&0u32.to_be_bytes());
        let crc = crc32fast::hash(&prelude);
        prelude.extend_from_slice(&crc.to_be_bytes());
        let mut decoder = Poisoning::new(EventStreamDecoder::new());
        let err = decoder.feed(&prelude, &mut Vec::new()).unwrap_err();
        assert_eq!(
            err,
            EventStreamError::FrameTooLarge {
                offset: 0,
                len: u32::MAX,
                limit: DEFAULT_MAX_FRAME_LEN
            }
        );
        assert_eq!(
            err.to_string(),
            "eventstream frame at byte 0: 4294967295 bytes, over the limit of 16777216"
        );
        assert_eq!(decoder.get_ref().max_frame_len(), DEFAULT_MAX_FRAME_LEN);
        assert_eq!(
            EventStreamDecoder::default().max_frame_len(),
            DEFAULT_MAX_FRAME_LEN
        );
    }

    #[test]
    fn frame_split_at_every_byte() {
        let frames = [
            event("messageStart", r#"{"role":"assistant"}"#),
            event("contentBlockDelta", r#"{"delta":{"text":"星期一"}}"#),
            event(
                "metadata",
                r#"{"usage":{"inputTokens":3,"outputTokens":4}}"#,
            ),
        ];
        let encoded: Vec<Vec<u8>> = frames.iter().map(|m| m.encode().unwrap()).collect();
        let body = encoded.concat();
        // Where each frame ends in the body.
        let ends: Vec<usize> = encoded
            .iter()
            .scan(0, |end, f| {
                *end += f.len();
                Some(*end)
            })
            .collect();
        // One cut anywhere.
        for cut in 0..=body.len() {
            let (out, result) = run(&body, &[cut], DEFAULT_MAX_FRAME_LEN);
            result.unwrap();
            assert_eq!(out, frames, "cut at {cut}");
        }
        // Byte by byte: each message comes with the last byte of its frame, not before.
        let mut decoder = Poisoning::new(EventStreamDecoder::new());
        let mut out = Vec::new();
        for (i, byte) in body.iter().enumerate() {
            decoder.feed(std::slice::from_ref(byte), &mut out).unwrap();
            let complete = ends.iter().filter(|&&end| end <= i + 1).count();
            assert_eq!(out.len(), complete, "after byte {i}");
        }
        decoder.finish(&mut out).unwrap();
        assert_eq!(out, frames);
    }

    #[test]
    fn truncated_body_fails_at_finish() {
        let frame = event("chunk", "{}").encode().unwrap();
        for len in 1..frame.len() {
            let (out, result) = run(&frame[..len], &[], DEFAULT_MAX_FRAME_LEN);
            assert!(out.is_empty());
            assert_eq!(
                result,
                Err(EventStreamError::Incomplete {
                    offset: 0,
                    received: len
                }),
                "{len}"
            );
        }
        // After a clean finish the decoder starts a new stream (offsets from 0).
        let mut decoder = Poisoning::new(EventStreamDecoder::new());
        let mut out = Vec::new();
        decoder.feed(&frame, &mut out).unwrap();
        decoder.finish(&mut out).unwrap();
        decoder.feed(&frame[..5], &mut out).unwrap();
        assert_eq!(
            decoder.finish(&mut out),
            Err(EventStreamError::Incomplete {
                offset: 0,
                received: 5
            })
        );
    }

    /// A frame with valid CRCs around arbitrary prelude lengths and header bytes.
    fn raw_frame(len: u32, headers_len: u32, rest: &[u8]) -> Vec<u8> {
        let mut frame = Vec::new();
        frame.extend_from_slice(&len.to_be_bytes());
        frame.extend_from_slice(&headers_len.to_be_bytes());
        let crc = crc32fast::hash(&frame);
        frame.extend_from_slice(&crc.to_be_bytes());
        frame.extend_from_slice(rest);
        let crc = crc32fast::hash(&frame);
        frame.extend_from_slice(&crc.to_be_bytes());
        frame
    }

    #[test]
    fn bad_lengths_and_headers() {
        for (len, headers_len) in [(15, 0), (0, 0), (16, 1), (20, 5), (20, u32::MAX)] {
            let frame = raw_frame(len, headers_len, &[]);
            assert_eq!(
                decode(&frame).unwrap_err(),
                EventStreamError::BadLengths {
                    offset: 0,
                    len,
                    headers_len
                },
                "{len} {headers_len}"
            );
        }
        for (headers, why) in [
            (&b"\x05:name"[..], "a header type needs 1 bytes, 0 left"),
            (b"\x05:na", "a header name needs 5 bytes, 3 left"),
            (b"\x01a\x0a", "unknown type 10"),
            (b"\x01a\x07\x00\x05abc", "\"a\" needs 5 bytes, 3 left"),
            (b"\x01a\x07\x00", "\"a\" needs 2 bytes, 1 left"),
            (b"\x01a\x04\x00\x00\x01", "\"a\" needs 4 bytes, 3 left"),
            (b"\x01a\x09\x00", "\"a\" needs 16 bytes, 1 left"),
            (b"\x01a\x07\x00\x01\xff", "\"a\" is not UTF-8"),
            (b"\x01\xff\x00", "a header name is not UTF-8"),
        ] {
            let len = (16 + headers.len()) as u32;
            let frame = raw_frame(len, headers.len() as u32, headers);
            let err = decode(&frame).unwrap_err();
            assert!(
                matches!(&err, EventStreamError::BadHeader { offset: 0, reason } if reason.contains(why)),
                "{headers:?}: {err}"
            );
        }
        // A string header of zero bytes and a zero-length name are fine.
        let frame = raw_frame(20, 4, b"\x00\x07\x00\x00");
        assert_eq!(
            decode(&frame).unwrap()[0].headers,
            [Header {
                name: String::new(),
                value: HeaderValue::String(String::new())
            }]
        );
    }

    #[test]
    fn encode_refuses_what_cannot_be_framed() {
        let long_name = Message::default().with_header("n".repeat(256), HeaderValue::Bool(true));
        assert_eq!(long_name.encode(), None);
        let long_value = Message::default().with_header("v", HeaderValue::Bytes(vec![0; 65_536]));
        assert_eq!(long_value.encode(), None);
        let ok = Message::default().with_header("v", HeaderValue::String("x".repeat(65_535)));
        assert!(ok.encode().is_some());
        assert_eq!(ok.str_header("v").map(str::len), Some(65_535));
        assert_eq!(ok.str_header("w"), None);
        assert_eq!(HeaderValue::Int(1).as_str(), None);
    }

    proptest! {
        #[test]
        fn encoded_messages_round_trip_and_bit_flips_fail(
            payloads in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..40), 0..6),
            flip in prop::option::of(any::<prop::sample::Index>()),
        ) {
            let frames: Vec<Message> = payloads
                .into_iter()
                .map(|p| Message::new(p).with_header(":event-type", HeaderValue::String("chunk".into())))
                .collect();
            let mut body: Vec<u8> = frames.iter().flat_map(|m| m.encode().unwrap()).collect();
            let flipped = match flip.filter(|_| !body.is_empty()) {
                Some(i) => {
                    let at = i.index(body.len());
                    body[at] ^= 0x80;
                    true
                }
                None => false,
            };
            // (Every read split gives the same: `framing::splits`.)
            let whole = run(&body, &[], DEFAULT_MAX_FRAME_LEN);
            if flipped {
                // CRC-32 catches every single-bit error.
                prop_assert!(whole.1.is_err());
            } else {
                prop_assert_eq!(whole, (frames, Ok(())));
            }
        }
    }
}
