//! What the best compression of a page costs: brotli at each quality and window the render cache
//! could choose, and gzip, on pages of the generated corpus.
//!
//!     cargo bench --bench compression
//!
//! Prints, for a small, a typical and the largest of 400 page bodies of `benches/support/corpus.rs`
//! (rendered to HTML, without the layout) and for twelve large ones together, the bytes and the mean milliseconds of each setting over
//! `RUNS` (default 100) runs, and then what `CachedResponse::new` (the render cache's best effort:
//! gzip 9 and brotli) takes on each. The Rust brotli crate differs from brotli's C original: its
//! quality 9 uses a hasher of 32 MiB, zeroed on every call, and windows of 2^16 pick slower hashers.

#[path = "support/corpus.rs"]
mod corpus;

use std::{io::Write, time::Instant};

use axum::{body::Bytes, http::StatusCode};
use skl_cms::{
    content::markdown,
    lang::Lang,
    render_cache::{CachedResponse, REVALIDATE},
};

fn mean_ms(runs: usize, mut work: impl FnMut() -> usize) -> (usize, f64) {
    let started = Instant::now();
    let mut bytes = 0;
    for _ in 0..runs {
        bytes = work();
    }
    (
        bytes,
        started.elapsed().as_secs_f64() * 1000.0 / runs as f64,
    )
}

fn main() {
    let runs = std::env::var("RUNS")
        .ok()
        .and_then(|runs| runs.parse().ok())
        .unwrap_or(100);
    let swedish = corpus::vocabulary(Lang::Sv);
    let english = corpus::vocabulary(Lang::En);
    let mut rng = corpus::Rng::new(2026);
    let mut pages: Vec<String> = (0..400)
        .map(|n| markdown::render(&corpus::page(n, &mut rng, &swedish, &english).1.body_md))
        .collect();
    pages.sort_by_key(String::len);
    let large: String = pages[pages.len() - 12..].concat();
    let samples = [
        ("a small page", pages[pages.len() / 20].clone()),
        ("a typical page", pages[pages.len() / 2].clone()),
        ("the largest page", pages[pages.len() - 1].clone()),
        ("12 large pages in one", large),
    ];
    for (name, html) in &samples {
        let data = html.as_bytes();
        println!("{name}, {} bytes:", data.len());
        for (quality, lgwin) in [
            (11, 22),
            (9, 17),
            (9, 22),
            (8, 16),
            (8, 17),
            (8, 22),
            (7, 17),
            (5, 17),
        ] {
            let params = brotli::enc::BrotliEncoderParams {
                quality,
                lgwin,
                ..Default::default()
            };
            let (bytes, ms) = mean_ms(runs, || {
                let mut out = Vec::new();
                let _ = brotli::BrotliCompress(&mut &data[..], &mut out, &params);
                out.len()
            });
            println!("  brotli q{quality:<2} window 2^{lgwin}: {bytes:>7} bytes, {ms:.3} ms");
        }
        for level in [1, 6, 9] {
            let (bytes, ms) = mean_ms(runs, || {
                let mut encoder =
                    flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(level));
                let _ = encoder.write_all(data);
                encoder.finish().map_or(0, |out| out.len())
            });
            println!("  gzip {level}:                {bytes:>7} bytes, {ms:.3} ms");
        }
        let body = Bytes::from(html.clone());
        let (bytes, ms) = mean_ms(runs, || {
            let response = CachedResponse::new(
                StatusCode::OK,
                "text/html; charset=utf-8",
                REVALIDATE,
                body.clone(),
            );
            response.bodies().brotli.map_or(0, Bytes::len)
        });
        println!(
            "  the render cache's best (gzip 9 and brotli): brotli {bytes} bytes, {ms:.3} ms both"
        );
    }
}
