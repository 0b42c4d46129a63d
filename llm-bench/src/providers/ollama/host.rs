//! `OLLAMA_HOST`, Ollama's own variable: a host, not always a URL.

/// `OLLAMA_HOST` as a URL: `host[:port]` gets `http://` and port 11434; `0.0.0.0` (a bind
/// address) means this machine. A value with a scheme is kept as it is.
pub(crate) fn url(host: &str) -> String {
    let host = host.trim();
    if host.contains("://") {
        return host.to_string();
    }
    let host = host.trim_end_matches('/');
    let (name, port) = match host.rsplit_once(':') {
        Some((name, port)) if !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) => {
            (name, port)
        }
        _ => (host, "11434"),
    };
    let name = match name {
        "" | "0.0.0.0" => "127.0.0.1",
        "[::]" | "::" => "[::1]",
        other => other,
    };
    format!("http://{name}:{port}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ollama_hosts() {
        assert_eq!(url("0.0.0.0"), "http://127.0.0.1:11434");
        assert_eq!(url("gpu-box:8080"), "http://gpu-box:8080");
        assert_eq!(url("https://ollama.example/"), "https://ollama.example/");
        assert_eq!(url("127.0.0.1"), "http://127.0.0.1:11434");
        assert_eq!(url(":11500"), "http://127.0.0.1:11500");
        assert_eq!(url("[::]:11434"), "http://[::1]:11434");
    }
}
