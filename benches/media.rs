//! The media library's figures: uploading a 12-megapixel photograph, and serving files.
//!
//!     cargo bench --bench media
//!
//! Starts the release binary as its own process on a fresh database and drives it over loopback:
//!
//! 1. Uploads: `UPLOADS` (default 5) different 4000 × 3000 JPEGs (about 4 MB each, as a camera
//!    writes them), each posted through the library's form and timed until its 303. That time holds
//!    the upload, the decoding, turning, re-encoding and the six variants. After each, the server's
//!    peak resident memory (`VmHWM`) is read from /proc.
//!    Before them, a decompression bomb (a PNG of some 70 bytes declaring 100,000 × 100,000
//!    pixels) is posted, timed to its refusal, and the peak memory read before and after.
//! 2. Serving, interleaved over `ROUNDS` (default 2) rounds of `wrk -t2 -c16 -d SECONDS` (default 5)
//!    each: a cached page (`/om-oss`), an image's 960-pixel WebP variant (the size pages show most)
//!    and the PDF of 100 kB. wrk shares the two cores with the server.

#[path = "support/server.rs"]
mod server;

#[path = "../tests/common/images.rs"]
mod images;

use std::time::{Duration, Instant};

use skl_cms::{content::transfer, db};

use server::{Server, env_or, hidden, memory_mib, ms, percentile, wrk};

const PASSWORD: &str = "ett långt lösenord för mätningen";

/// A photograph-like picture: smooth shading with sensor-like noise, so that it compresses as a
/// camera's JPEG does. `seed` makes each one different (the library stores identical files once).
fn photograph(width: u32, height: u32, seed: u32) -> Vec<u8> {
    let mut state = seed.wrapping_mul(2_654_435_761).max(1);
    let picture = image::RgbImage::from_fn(width, height, |x, y| {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        let noise = (state % 24) as i32 - 12;
        let shade = |value: u32| (value as i32 + noise).clamp(0, 255) as u8;
        image::Rgb([
            shade(x * 255 / width),
            shade(y * 255 / height),
            shade((x + y + seed) % 256),
        ])
    });
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90)
        .encode_image(&picture)
        .expect("jpeg");
    out
}

/// Posts `bytes` through the library's upload form; the time to the answer, its status and where it
/// leads.
async fn post_file(
    client: &reqwest::Client,
    base: &str,
    csrf: &str,
    name: &str,
    bytes: Vec<u8>,
) -> (Duration, reqwest::StatusCode, String) {
    let form = reqwest::multipart::Form::new()
        .text("csrf", csrf.to_owned())
        .text("alt_sv", "En bild för mätningen")
        .part(
            "file",
            reqwest::multipart::Part::bytes(bytes).file_name(name.to_owned()),
        );
    let started = Instant::now();
    let reply = client
        .post(format!("{base}/admin/media"))
        .header("origin", base)
        .multipart(form)
        .send()
        .await
        .expect("upload");
    let elapsed = started.elapsed();
    let to = reply
        .headers()
        .get("location")
        .and_then(|to| to.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    (elapsed, reply.status(), to)
}

/// [`post_file`] of a file the library takes: the time to the 303 and where it leads.
async fn upload(
    client: &reqwest::Client,
    base: &str,
    csrf: &str,
    name: &str,
    bytes: Vec<u8>,
) -> (Duration, String) {
    let (elapsed, status, to) = post_file(client, base, csrf, name, bytes).await;
    assert_eq!(status, reqwest::StatusCode::SEE_OTHER, "upload works");
    (elapsed, to)
}

#[tokio::main]
async fn main() {
    let uploads = env_or("UPLOADS", 5) as u32;
    let rounds = env_or("ROUNDS", 2);
    let seconds = env_or("SECONDS", 5);
    let dir = tempfile::tempdir().expect("temporary folder");
    let database = dir.path().join("bench.db");
    let pool = db::open(&database).await.expect("database");
    transfer::seed_if_new(&pool).await.expect("seed");
    server::add_bench_admin(&pool, PASSWORD).await;
    pool.close().await;

    let server = Server::start(&database).await;
    let base = server.base.clone();
    let client = server::editor_client();
    server::log_in(&client, &base, "bench", PASSWORD).await;
    let page = server::page_text(&client, &format!("{base}/admin/media")).await;
    let csrf = hidden(&page, "csrf");
    let before = memory_mib(server.pid(), "VmHWM:").unwrap_or(0.0);

    // 0. A decompression bomb.
    let bomb = images::png_bomb();
    let bomb_bytes = bomb.len();
    let (elapsed, status, _) = post_file(&client, &base, &csrf, "bomb.png", bomb).await;
    assert_eq!(
        status,
        reqwest::StatusCode::UNPROCESSABLE_ENTITY,
        "the bomb is refused"
    );
    let after_bomb = memory_mib(server.pid(), "VmHWM:").unwrap_or(0.0);
    println!(
        "a PNG of {bomb_bytes} bytes declaring 100,000 × 100,000 pixels: refused in {}, peak \
         resident memory {before:.1} MiB before, {after_bomb:.1} MiB after",
        ms(elapsed)
    );

    // 1. Uploads of 12-megapixel photographs.
    let mut times = Vec::new();
    let mut sizes = Vec::new();
    let mut peak: f64 = after_bomb;
    let mut last = String::new();
    for n in 0..uploads {
        let photo = photograph(4000, 3000, n + 1);
        sizes.push(photo.len());
        let (elapsed, to) = upload(&client, &base, &csrf, &format!("foto-{n}.jpg"), photo).await;
        times.push(elapsed);
        last = to;
        peak = peak.max(memory_mib(server.pid(), "VmHWM:").unwrap_or(0.0));
    }
    times.sort();
    let mean_size = sizes.iter().sum::<usize>() as f64 / sizes.len().max(1) as f64 / 1e6;
    println!(
        "upload a 12-megapixel JPEG ({mean_size:.1} MB) to its 303, {uploads} uploads: \
         min {}, p50 {}, max {} (target ≤ 2 s)",
        ms(percentile(&times, 0.0)),
        ms(percentile(&times, 50.0)),
        ms(percentile(&times, 100.0)),
    );
    println!(
        "server's peak resident memory: {after_bomb:.1} MiB before the uploads, {peak:.1} MiB after \
         (target ≤ 300 MiB)"
    );

    // 2. Serving: a cached page against files of the library.
    let id: i64 = last
        .trim_start_matches("/admin/media/")
        .split('?')
        .next()
        .and_then(|id| id.parse().ok())
        .expect("the last upload's id");
    let report = {
        let mut bytes = b"%PDF-1.4\n".to_vec();
        bytes.resize(100_000, b'%');
        let (_, to) = upload(&client, &base, &csrf, "rapport.pdf", bytes).await;
        to.trim_start_matches("/admin/media/")
            .split('?')
            .next()
            .and_then(|id| id.parse::<i64>().ok())
            .expect("the report's id")
    };
    let targets = [
        ("cached page /om-oss", format!("{base}/om-oss")),
        (
            "image, 960 px WebP",
            format!("{base}/media/{id}/960/foto-{}.webp", uploads - 1),
        ),
        (
            "PDF of 100 kB",
            format!("{base}/media/{report}/rapport.pdf"),
        ),
    ];
    for (_, url) in &targets {
        let reply = reqwest::get(url).await.expect("served");
        assert_eq!(reply.status(), reqwest::StatusCode::OK, "{url}");
    }
    let mut rates: Vec<Vec<f64>> = vec![Vec::new(); targets.len()];
    for _ in 0..rounds {
        for (index, (_, url)) in targets.iter().enumerate() {
            match wrk(url, seconds, None) {
                Some(rate) => rates[index].push(rate),
                None => {
                    println!(
                        "wrk is not installed: serving not measured (bash bench/run.sh installs it)"
                    );
                    return;
                }
            }
        }
    }
    let page_rate = rates[0].iter().sum::<f64>() / rates[0].len() as f64;
    for ((name, _), rates) in targets.iter().zip(&rates) {
        let mean = rates.iter().sum::<f64>() / rates.len() as f64;
        let shown: Vec<String> = rates.iter().map(|rate| format!("{rate:.0}")).collect();
        println!(
            "{name}: {mean:.0} requests/s (runs: {}), {:.2}× the cached page",
            shown.join(", "),
            mean / page_rate
        );
    }
}
