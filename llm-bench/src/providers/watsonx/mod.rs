//! IBM watsonx.ai text generation streams (`/ml/v1/text/generation_stream`,
//! <https://cloud.ibm.com/apidocs/watsonx-ai>): parse only. The client does not speak
//! watsonx (its IAM token exchange is not built in); recorded streams are parsed with
//! [`WireFormat::Watsonx`](crate::providers::wire::WireFormat::Watsonx).
//!
//! | | |
//! |---|---|
//! | framing | SSE, `event: message` events with `results`; parsed by [`parse`], which sums the input token count over the stream |

pub(crate) mod parse;

use super::api::{Events, Wire};
use super::payload::PayloadError;
use super::wire::Framing;
use crate::delta::Delta;

/// The watsonx.ai stream's [`Wire`] format.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Watsonx;

impl Wire for Watsonx {
    fn corpus_name(&self) -> &'static str {
        "watsonx"
    }

    fn framing(&self) -> Framing {
        Framing::Sse
    }

    fn events(&self) -> Box<dyn Events> {
        Box::new(parse::Parser::new())
    }
}

impl Events for parse::Parser {
    fn event(&mut self, name: Option<&str>, data: &str) -> Result<Delta, PayloadError> {
        self.parse_event(name, data)
    }

    fn boxed_clone(&self) -> Box<dyn Events> {
        Box::new(self.clone())
    }
}
