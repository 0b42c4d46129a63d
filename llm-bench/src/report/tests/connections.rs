//! TTFT on new and reused connections, apart ([`crate::report::connections`]).

use crate::metrics::{HttpPhases, RequestSample};
use crate::report::connections::{connection_groups, group_text};

fn sample(ttft_ms: u64, new: bool) -> RequestSample {
    RequestSample {
        ttft_ns: Some(ttft_ms * 1_000_000),
        http: Some(HttpPhases {
            connection_id: 1,
            new_connection: new,
            http2: false,
            connect_ns: new.then_some(500_000),
            tls_ns: None,
            request_written_ns: None,
        }),
        ..RequestSample::default()
    }
}

#[test]
fn new_and_reused_connections_are_summarised_apart_only_when_both_occur() {
    let mut run = super::common::run("chat/x", 0, 100, &[]);
    run.samples = vec![
        sample(120, true),
        sample(130, true),
        sample(50, false),
        sample(60, false),
        sample(70, false),
    ];
    let [new, reused] = connection_groups(&run).unwrap();
    assert_eq!((new.kind, new.requests, reused.requests), ("new", 2, 3));
    assert_eq!(new.ttft_p50, 125e6);
    assert_eq!(reused.ttft_p50, 60e6);
    assert_eq!(new.connect_p50, Some(5e5));
    assert_eq!(reused.connect_p50, None);
    assert_eq!(
        group_text(&new),
        "2 on new connections: TTFT p50 125 ms, p90 129 ms (connect 0.500 ms median)"
    );
    run.samples.retain(|s| !s.http.unwrap().new_connection);
    assert_eq!(connection_groups(&run), None);
}
