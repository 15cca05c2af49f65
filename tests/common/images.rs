//! Files to upload, made on the spot: images in every format the library takes, a photograph
//! with a phone's metadata, a decompression bomb, a PDF. Shared by the tests and the media benchmark.

#![allow(dead_code)] // Each user takes what it needs.

use std::io::Cursor;

/// The camera model written into test photos: no stored or served byte may keep it.
pub const CAMERA: &[u8] = b"SKLTestCam 3000";
pub const COMMENT: &[u8] = b"hemlig kommentar";
pub const XMP: &[u8] = b"http://ns.adobe.com/xap/1.0/";

/// A photograph-like image: a gradient, so that every encoder has work to do.
pub fn gradient(width: u32, height: u32) -> image::RgbImage {
    image::RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([(x * 255 / width) as u8, (y * 255 / height) as u8, 128])
    })
}

pub fn jpeg(width: u32, height: u32) -> Vec<u8> {
    let mut out = Vec::new();
    gradient(width, height)
        .write_to(&mut Cursor::new(&mut out), image::ImageFormat::Jpeg)
        .expect("jpeg");
    out
}

pub fn png(width: u32, height: u32) -> Vec<u8> {
    let mut out = Vec::new();
    gradient(width, height)
        .write_to(&mut Cursor::new(&mut out), image::ImageFormat::Png)
        .expect("png");
    out
}

pub fn gif(width: u32, height: u32) -> Vec<u8> {
    let mut out = Vec::new();
    gradient(width, height)
        .write_to(&mut Cursor::new(&mut out), image::ImageFormat::Gif)
        .expect("gif");
    out
}

pub fn webp(width: u32, height: u32) -> Vec<u8> {
    let image = gradient(width, height);
    webp::Encoder::from_rgb(image.as_raw(), width, height)
        .encode(80.0)
        .to_vec()
}

pub fn pdf(padding: usize) -> Vec<u8> {
    let mut out = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n".to_vec();
    out.extend(std::iter::repeat_n(b'%', padding));
    out.extend_from_slice(b"\n%%EOF\n");
    out
}

/// A JPEG as a phone writes it: EXIF with the camera model, a GPS position and orientation 6 (turn
/// a quarter clockwise to show), an XMP packet and a comment.
pub fn camera_jpeg(width: u32, height: u32) -> Vec<u8> {
    let plain = jpeg(width, height);
    // TIFF, big-endian: IFD0 with Model, Orientation and a pointer to the GPS IFD.
    let mut tiff = b"MM\0\x2a\0\0\0\x08".to_vec();
    let model_offset: u32 = 8 + 2 + 3 * 12 + 4;
    let gps_offset: u32 = model_offset + CAMERA.len() as u32 + 1;
    tiff.extend_from_slice(&3u16.to_be_bytes());
    // Model (0x0110), ASCII.
    tiff.extend_from_slice(&[0x01, 0x10, 0, 2]);
    tiff.extend_from_slice(&(CAMERA.len() as u32 + 1).to_be_bytes());
    tiff.extend_from_slice(&model_offset.to_be_bytes());
    // Orientation (0x0112), SHORT, 6.
    tiff.extend_from_slice(&[0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 6, 0, 0]);
    // GPSInfo (0x8825), LONG.
    tiff.extend_from_slice(&[0x88, 0x25, 0, 4, 0, 0, 0, 1]);
    tiff.extend_from_slice(&gps_offset.to_be_bytes());
    tiff.extend_from_slice(&0u32.to_be_bytes());
    tiff.extend_from_slice(CAMERA);
    tiff.push(0);
    // GPS IFD: GPSLatitudeRef "N".
    tiff.extend_from_slice(&1u16.to_be_bytes());
    tiff.extend_from_slice(&[0, 1, 0, 2, 0, 0, 0, 2, b'N', 0, 0, 0]);
    tiff.extend_from_slice(&0u32.to_be_bytes());
    let mut exif = b"Exif\0\0".to_vec();
    exif.extend_from_slice(&tiff);
    let mut xmp = XMP.to_vec();
    xmp.push(0);
    xmp.extend_from_slice(b"<x:xmpmeta><rdf:Description exif:GPSLatitude=\"59,20N\"/></x:xmpmeta>");
    let segment = |marker: u8, payload: &[u8]| {
        let mut out = vec![0xFF, marker];
        out.extend_from_slice(&(payload.len() as u16 + 2).to_be_bytes());
        out.extend_from_slice(payload);
        out
    };
    let mut out = plain[..2].to_vec();
    out.extend(segment(0xE1, &exif));
    out.extend(segment(0xE1, &xmp));
    out.extend(segment(0xFE, COMMENT));
    out.extend_from_slice(&plain[2..]);
    out
}

/// A PNG of a few bytes whose header declares 100,000 × 100,000 pixels: 40 GB decoded.
pub fn png_bomb() -> Vec<u8> {
    let mut ihdr = b"IHDR".to_vec();
    ihdr.extend_from_slice(&100_000u32.to_be_bytes());
    ihdr.extend_from_slice(&100_000u32.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    out.extend_from_slice(&13u32.to_be_bytes());
    out.extend_from_slice(&ihdr);
    out.extend_from_slice(&crc32(&ihdr).to_be_bytes());
    let idat = b"IDAT\x78\x9c\x03\0\0\0\0\x01";
    out.extend_from_slice(&(idat.len() as u32 - 4).to_be_bytes());
    out.extend_from_slice(idat);
    out.extend_from_slice(&crc32(idat).to_be_bytes());
    out
}

pub fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &byte in bytes {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}
