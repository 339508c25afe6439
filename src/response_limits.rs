//! Bounds on what one API response may cost: `--request-timeout` covers the whole request,
//! the body included (a server that trickles one byte a second is cut off, as client-go's
//! `http.Client.Timeout` would), and no response body may be larger than any answer this tool
//! needs (a 64 MiB error body is refused while it streams, not held in memory).

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use tokio::time::{Instant, Sleep};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Far above any answer this tool asks for (a TokenRequest is a few KiB; the largest list,
/// the namespaces' names for completion, is a few MiB on large clusters).
pub const MAX_RESPONSE_BYTES: usize = 16 * 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum LimitError {
    #[error("the API server did not answer within --request-timeout {0}")]
    Timeout(String),
    #[error("the API server sent more than {} MiB in one response", MAX_RESPONSE_BYTES >> 20)]
    TooLarge,
}

impl LimitError {
    fn timeout(took: Duration) -> LimitError {
        LimitError::Timeout(crate::duration::GoDuration::from_std(took).to_string())
    }
}

/// The tower layer: `timeout` is `--request-timeout` (none: no deadline).
#[derive(Debug, Clone, Copy)]
pub struct ResponseLimitLayer {
    pub timeout: Option<Duration>,
}

impl<S> tower::Layer<S> for ResponseLimitLayer {
    type Service = ResponseLimit<S>;
    fn layer(&self, inner: S) -> ResponseLimit<S> {
        ResponseLimit {
            inner,
            timeout: self.timeout,
        }
    }
}

#[derive(Debug, Clone)]
pub struct ResponseLimit<S> {
    inner: S,
    timeout: Option<Duration>,
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

impl<S, ReqBody, ResBody> tower::Service<http::Request<ReqBody>> for ResponseLimit<S>
where
    S: tower::Service<http::Request<ReqBody>, Response = http::Response<ResBody>>,
    S::Future: Send + 'static,
    S::Error: Into<BoxError>,
    ResBody: Body<Data = Bytes> + Send + 'static,
    ResBody::Error: Into<BoxError>,
{
    type Response = http::Response<LimitedBody<ResBody>>;
    type Error = BoxError;
    type Future = BoxFuture<Result<Self::Response, BoxError>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, request: http::Request<ReqBody>) -> Self::Future {
        // A watch streams for as long as it asked the server to (its own timeoutSeconds, and
        // the caller's deadline): the request timeout is for answers, not for streams.
        let timeout = self.timeout.filter(|_| !is_watch(request.uri()));
        let deadline = timeout.map(|t| (Instant::now() + t, t));
        let response = self.inner.call(request);
        Box::pin(async move {
            let response = match deadline {
                Some((at, took)) => tokio::time::timeout_at(at, response)
                    .await
                    .map_err(|_| LimitError::timeout(took))?,
                None => response.await,
            }
            .map_err(Into::into)?;
            Ok(response.map(|body| LimitedBody {
                inner: Box::pin(body),
                deadline: deadline.map(|(at, took)| (Box::pin(tokio::time::sleep_until(at)), took)),
                read: 0,
            }))
        })
    }
}

fn is_watch(uri: &http::Uri) -> bool {
    uri.query()
        .is_some_and(|q| q.split('&').any(|pair| pair == "watch=true" || pair == "watch=1"))
}

/// A response body that fails once the request's deadline passes or too much has come.
pub struct LimitedBody<B> {
    inner: Pin<Box<B>>,
    deadline: Option<(Pin<Box<Sleep>>, Duration)>,
    read: usize,
}

impl<B> Body for LimitedBody<B>
where
    B: Body<Data = Bytes>,
    B::Error: Into<BoxError>,
{
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = self.get_mut();
        if let Some((sleep, took)) = this.deadline.as_mut()
            && sleep.as_mut().poll(cx).is_ready()
        {
            return Poll::Ready(Some(Err(LimitError::timeout(*took).into())));
        }
        match this.inner.as_mut().poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => {
                this.read += frame.data_ref().map_or(0, Bytes::len);
                if this.read > MAX_RESPONSE_BYTES {
                    return Poll::Ready(Some(Err(LimitError::TooLarge.into())));
                }
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Ready(Some(Err(e))) => Poll::Ready(Some(Err(e.into()))),
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Pending => Poll::Pending,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn watches_are_told_apart() {
        assert!(is_watch(
            &"https://h/api/v1/namespaces/n/secrets?fieldSelector=x&watch=true"
                .parse()
                .unwrap()
        ));
        assert!(!is_watch(
            &"https://h/api/v1/namespaces/n/secrets?fieldSelector=watch%3Dtrue"
                .parse()
                .unwrap()
        ));
        assert!(!is_watch(&"https://h/api/v1/namespaces".parse().unwrap()));
    }
}
