//! `-v/--verbose`: what the tool does, one line each on stderr.
//!
//! Nothing logged here may carry a credential: requests are logged by method, path,
//! status and duration only (the layer sits outside kube's auth layer, so it never even
//! sees an `Authorization` header), and lock and file events by path.

use std::fmt;
use std::future::Future;
use std::io::Write;
use std::pin::Pin;
use std::sync::atomic::{AtomicU8, Ordering};
use std::task::{Context, Poll};
use std::time::Instant;

static LEVEL: AtomicU8 = AtomicU8::new(0);

/// Sets the verbosity for the rest of the process (0: quiet, the default).
pub fn set_level(level: u8) {
    LEVEL.store(level, Ordering::Relaxed);
}

/// Whether messages of `level` are shown.
pub fn enabled(level: u8) -> bool {
    level > 0 && LEVEL.load(Ordering::Relaxed) >= level
}

/// Writes one line on stderr if `level` is enabled. Callers pass names, paths, statuses:
/// never a value read from a kubeconfig user entry or a server body.
pub fn log(level: u8, message: fmt::Arguments<'_>) {
    if enabled(level) {
        // Paths and names may come from the environment or a kubeconfig: shown escaped.
        let _ = writeln!(
            std::io::stderr(),
            "verbose: {}",
            crate::escape::line(&message.to_string())
        );
    }
}

/// The tower layer that logs each request: `GET /api/v1/... 200 OK in 12ms`.
#[derive(Debug, Clone, Copy)]
pub struct RequestLogLayer;

impl<S> tower::Layer<S> for RequestLogLayer {
    type Service = RequestLog<S>;
    fn layer(&self, inner: S) -> RequestLog<S> {
        RequestLog { inner }
    }
}

#[derive(Debug, Clone)]
pub struct RequestLog<S> {
    inner: S,
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

impl<S, ReqBody, ResBody> tower::Service<http::Request<ReqBody>> for RequestLog<S>
where
    S: tower::Service<http::Request<ReqBody>, Response = http::Response<ResBody>>,
    S::Future: Send + 'static,
    S::Error: 'static,
    ResBody: 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = BoxFuture<Result<S::Response, S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<ReqBody>) -> Self::Future {
        if !enabled(1) {
            return Box::pin(self.inner.call(request));
        }
        // Path and query only: the authority could carry userinfo, and headers are
        // not looked at (kube adds the credentials further in).
        let what = request_line(&request);
        let start = Instant::now();
        let response = self.inner.call(request);
        Box::pin(async move {
            let result = response.await;
            let took = start.elapsed().as_millis();
            match &result {
                Ok(response) => {
                    log(1, format_args!("{what} {} in {took}ms", response.status()));
                    if enabled(2)
                        && let Some(id) = response.headers().get("audit-id").and_then(|v| v.to_str().ok())
                    {
                        log(2, format_args!("{what} audit-id {id}"));
                    }
                }
                Err(_) => log(1, format_args!("{what} no response after {took}ms")),
            }
            result
        })
    }
}

fn request_line<B>(request: &http::Request<B>) -> String {
    let path = request
        .uri()
        .path_and_query()
        .map_or_else(|| request.uri().path().to_owned(), |p| p.as_str().to_owned());
    // kube leaves an empty query as a bare `?`.
    format!("{} {}", request.method(), path.trim_end_matches('?'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_line_has_method_path_and_query_but_no_authority() {
        let request = http::Request::post("https://user:secret@k8s.example:6443/api/v1/x?dryRun=All")
            .header("Authorization", "Bearer s3cr3t")
            .body(())
            .unwrap();
        let line = request_line(&request);
        assert_eq!(line, "POST /api/v1/x?dryRun=All");
        let request = http::Request::get("https://k8s.example/api/v1/y?").body(()).unwrap();
        assert_eq!(request_line(&request), "GET /api/v1/y");
    }

    #[test]
    fn levels() {
        // Level 0 is never "enabled", whatever was set.
        assert!(!enabled(0));
    }
}
