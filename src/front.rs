//! The front door: what every request passes before routing, and every response on its way out.
//!
//! [`Front`] answers GET and HEAD from the render cache when it can, without routing or any other
//! middleware, and adds the security headers to every response, cache hits and error pages alike. It is
//! a hand-written tower service rather than an axum `from_fn` middleware because it sits on the hot path
//! of every cached page: it allocates no boxed future and does no work beyond a hash lookup.

use std::{
    convert::Infallible,
    future::Future,
    pin::Pin,
    sync::Arc,
    task::{Context, Poll},
};

use axum::{
    extract::Request,
    http::{HeaderMap, HeaderName, HeaderValue, Method, header},
    response::Response,
};
use tower::Service;

use crate::render_cache::{self, RenderCache};

/// The policy for every response: nothing from elsewhere, no inline script or style, no framing.
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; img-src 'self'; style-src 'self'; \
     script-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// Adds the security headers to a response.
fn secure(headers: &mut HeaderMap, https: bool) {
    // A response may carry a stricter policy of its own (an uploaded document's sandbox).
    headers
        .entry(header::CONTENT_SECURITY_POLICY)
        .or_insert(HeaderValue::from_static(CONTENT_SECURITY_POLICY));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("strict-origin-when-cross-origin"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        HeaderName::from_static("permissions-policy"),
        HeaderValue::from_static("camera=(), microphone=(), geolocation=(), payment=(), usb=()"),
    );
    headers.insert(
        HeaderName::from_static("cross-origin-opener-policy"),
        HeaderValue::from_static("same-origin"),
    );
    if https {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000"),
        );
    }
}

/// The front door around the application's router `S`.
#[derive(Clone)]
pub struct Front<S> {
    inner: S,
    cache: Arc<RenderCache>,
    /// Whether the site is served over https (its base URL says so), so that responses carry HSTS;
    /// a request that a trusted proxy says came over https gets it too.
    https: bool,
}

impl<S> Front<S> {
    pub fn new(inner: S, cache: Arc<RenderCache>, https: bool) -> Self {
        Front {
            inner,
            cache,
            https,
        }
    }
}

impl<S> Service<Request> for Front<S>
where
    S: Service<Request, Response = Response, Error = Infallible>,
{
    type Response = Response;
    type Error = Infallible;
    type Future = FrontFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        let https = self.https
            || request
                .extensions()
                .get::<crate::proxy::ForwardedHttps>()
                .is_some();
        let method = request.method();
        let key = render_cache::key(request.uri());
        if (method == Method::GET || method == Method::HEAD)
            && let Some(hit) = self.cache.get(key)
        {
            if !hit.is_best() {
                // Its best compression was skipped while others ran: try again.
                self.cache.improve_later(key, Arc::clone(hit.response()));
            }
            let mut response = hit.respond(request.headers(), method == Method::HEAD);
            secure(response.headers_mut(), https);
            return FrontFuture::Hit {
                response: Some(response),
            };
        }
        FrontFuture::Miss {
            future: self.inner.call(request),
            https,
        }
    }
}

pin_project_lite::pin_project! {
    /// Either a response from the cache, ready now, or the router's future.
    #[project = FrontProjection]
    pub enum FrontFuture<F> {
        Hit { response: Option<Response> },
        Miss { #[pin] future: F, https: bool },
    }
}

impl<F> Future for FrontFuture<F>
where
    F: Future<Output = Result<Response, Infallible>>,
{
    type Output = Result<Response, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project() {
            // A hit is polled once; should it be polled again, an empty response is the only answer
            // that does not panic, and tower never does so.
            FrontProjection::Hit { response } => {
                Poll::Ready(Ok(response.take().unwrap_or_default()))
            }
            FrontProjection::Miss { future, https } => {
                let https = *https;
                future.poll(cx).map_ok(|mut response| {
                    secure(response.headers_mut(), https);
                    response
                })
            }
        }
    }
}
