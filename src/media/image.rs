//! Cleaning an uploaded image and making its variants: decoded within limits (a small file that
//! declares a huge picture is refused before anything is allocated), turned upright by its EXIF
//! orientation, and re-encoded, which leaves every metadata segment (EXIF, GPS, XMP, comments)
//! behind. CPU-bound: call from `spawn_blocking`, one at a time ([`process`] takes a permit).

use std::io::Cursor;

use fast_image_resize::{FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer, images};
use image::{
    AnimationDecoder, DynamicImage, ExtendedColorType, ImageDecoder, ImageEncoder, ImageReader,
    Limits,
    codecs::{
        gif::{GifDecoder, GifEncoder, Repeat},
        jpeg::JpegEncoder,
        png::{CompressionType, PngEncoder},
    },
};

use super::{VARIANT_WIDTHS, VariantInfo};
use crate::vocab::MediaType;

/// The most pixels an image may have: 40 megapixels, more than any camera editors are likely to
/// use. Decoded, that is at most 160 MB.
pub const MAX_PIXELS: u64 = 40_000_000;

/// The longest side an image may have.
pub const MAX_SIDE: u32 = 20_000;

/// The most memory a decoder may allocate.
const MAX_ALLOC: u64 = 200 * 1024 * 1024;

/// The quality of a re-encoded JPEG original, and of the smaller copies.
const ORIGINAL_QUALITY: u8 = 88;
const VARIANT_QUALITY: u8 = 80;
const WEBP_QUALITY: f32 = 78.0;

/// An image as it is stored: cleaned, with its variants.
#[derive(Debug)]
pub struct Processed {
    pub width: u32,
    pub height: u32,
    /// The image re-encoded in its own format, upright and without metadata.
    pub body: Vec<u8>,
    pub variants: Vec<Variant>,
}

/// A smaller copy, or a copy in another format.
#[derive(Debug)]
pub struct Variant {
    pub info: VariantInfo,
    pub body: Vec<u8>,
}

/// Why an image was not taken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("the image is {width} × {height} pixels, more than the {MAX_PIXELS} allowed")]
    TooManyPixels { width: u64, height: u64 },
    #[error("the image is larger than the decoder's limits allow")]
    TooLarge,
    #[error("the image cannot be read: {0}")]
    Unreadable(String),
}

impl Refusal {
    /// The reason in the admin area's language.
    pub fn swedish(&self) -> String {
        match self {
            Refusal::TooManyPixels { width, height } => format!(
                "Bilden är {width} × {height} bildpunkter. Högst {} miljoner bildpunkter tas emot: \
                 förminska bilden och ladda upp den igen.",
                MAX_PIXELS / 1_000_000
            ),
            Refusal::TooLarge => format!(
                "Bilden är för stor för att tas emot: högst {} miljoner bildpunkter, och högst {} \
                 bildpunkter på längsta sidan. Förminska bilden och ladda upp den igen.",
                MAX_PIXELS / 1_000_000,
                MAX_SIDE
            ),
            Refusal::Unreadable(_) => "Bilden kunde inte läsas: filen är skadad eller inte en \
                 bild av den typ den ser ut att vara."
                .to_owned(),
        }
    }
}

/// One image at a time: each may hold a couple of hundred megabytes while it is worked on.
static PERMITS: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Cleans the image in `bytes`, of type `media_type` (an image type), and makes its variants.
pub fn process(bytes: &[u8], media_type: MediaType) -> Result<Processed, Refusal> {
    let _permit = PERMITS
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    match media_type {
        MediaType::Gif => process_gif(bytes),
        _ => process_still(bytes, media_type),
    }
}

fn limits() -> Limits {
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_ALLOC);
    limits
}

fn unreadable(error: impl std::fmt::Display) -> Refusal {
    Refusal::Unreadable(error.to_string())
}

fn check_pixels(width: u32, height: u32) -> Result<(), Refusal> {
    let (width, height) = (u64::from(width), u64::from(height));
    if width * height > MAX_PIXELS || width == 0 || height == 0 {
        return Err(Refusal::TooManyPixels { width, height });
    }
    Ok(())
}

fn format_of(media_type: MediaType) -> image::ImageFormat {
    match media_type {
        MediaType::Png => image::ImageFormat::Png,
        MediaType::Webp => image::ImageFormat::WebP,
        MediaType::Gif => image::ImageFormat::Gif,
        _ => image::ImageFormat::Jpeg,
    }
}

/// Pixels with or without alpha, eight bits a channel.
enum Pixels {
    Rgb(Vec<u8>),
    Rgba(Vec<u8>),
}

impl Pixels {
    fn of(image: DynamicImage) -> Pixels {
        if image.color().has_alpha() {
            Pixels::Rgba(image.into_rgba8().into_raw())
        } else {
            Pixels::Rgb(image.into_rgb8().into_raw())
        }
    }

    fn bytes(&self) -> &[u8] {
        match self {
            Pixels::Rgb(bytes) | Pixels::Rgba(bytes) => bytes,
        }
    }

    fn pixel_type(&self) -> PixelType {
        match self {
            Pixels::Rgb(_) => PixelType::U8x3,
            Pixels::Rgba(_) => PixelType::U8x4,
        }
    }

    fn color(&self) -> ExtendedColorType {
        match self {
            Pixels::Rgb(_) => ExtendedColorType::Rgb8,
            Pixels::Rgba(_) => ExtendedColorType::Rgba8,
        }
    }

    fn with_bytes(&self, bytes: Vec<u8>) -> Pixels {
        match self {
            Pixels::Rgb(_) => Pixels::Rgb(bytes),
            Pixels::Rgba(_) => Pixels::Rgba(bytes),
        }
    }
}

fn process_still(bytes: &[u8], media_type: MediaType) -> Result<Processed, Refusal> {
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format_of(media_type));
    reader.limits(limits());
    let mut decoder = reader.into_decoder().map_err(|error| refusal_of(&error))?;
    let (width, height) = decoder.dimensions();
    check_pixels(width, height)?;
    let orientation = decoder
        .orientation()
        .unwrap_or(image::metadata::Orientation::NoTransforms);
    let mut image = DynamicImage::from_decoder(decoder).map_err(|error| refusal_of(&error))?;
    image.apply_orientation(orientation);
    let (width, height) = (image.width(), image.height());
    let pixels = Pixels::of(image);
    let body = encode(&pixels, width, height, media_type, ORIGINAL_QUALITY)?;
    let mut variants = Vec::new();
    let mut resizer = Resizer::new();
    for &target in VARIANT_WIDTHS.iter().filter(|&&target| target < width) {
        let target_height = scaled_height(width, height, target);
        let small = resize(&mut resizer, &pixels, width, height, target, target_height)?;
        if media_type != MediaType::Webp {
            variants.push(Variant {
                info: VariantInfo {
                    width: target,
                    height: target_height,
                    format: media_type,
                },
                body: encode(&small, target, target_height, media_type, VARIANT_QUALITY)?,
            });
        }
        variants.push(webp(&small, target, target_height, media_type)?);
    }
    // An image no wider than the largest variant gets a WebP copy at its own size too.
    if media_type != MediaType::Webp
        && VARIANT_WIDTHS
            .last()
            .is_some_and(|&largest| width <= largest)
    {
        variants.push(webp(&pixels, width, height, media_type)?);
    }
    Ok(Processed {
        width,
        height,
        body,
        variants,
    })
}

/// A decoder's error as a refusal: a limit hit is a picture too large, anything else unreadable.
fn refusal_of(error: &image::ImageError) -> Refusal {
    match error {
        image::ImageError::Limits(_) => Refusal::TooLarge,
        other => unreadable(other),
    }
}

fn scaled_height(width: u32, height: u32, target: u32) -> u32 {
    let scaled = (u64::from(height) * u64::from(target) + u64::from(width) / 2) / u64::from(width);
    u32::try_from(scaled.max(1)).unwrap_or(u32::MAX)
}

fn resize(
    resizer: &mut Resizer,
    pixels: &Pixels,
    width: u32,
    height: u32,
    target_width: u32,
    target_height: u32,
) -> Result<Pixels, Refusal> {
    let source = images::ImageRef::new(width, height, pixels.bytes(), pixels.pixel_type())
        .map_err(unreadable)?;
    let mut target = images::Image::new(target_width, target_height, pixels.pixel_type());
    resizer
        .resize(
            &source,
            &mut target,
            &ResizeOptions::new().resize_alg(ResizeAlg::Convolution(FilterType::Lanczos3)),
        )
        .map_err(unreadable)?;
    Ok(pixels.with_bytes(target.into_vec()))
}

fn encode(
    pixels: &Pixels,
    width: u32,
    height: u32,
    media_type: MediaType,
    quality: u8,
) -> Result<Vec<u8>, Refusal> {
    let mut out = Vec::new();
    match media_type {
        MediaType::Jpeg => JpegEncoder::new_with_quality(&mut out, quality)
            .write_image(pixels.bytes(), width, height, pixels.color())
            .map_err(unreadable)?,
        MediaType::Png => PngEncoder::new_with_quality(
            &mut out,
            CompressionType::Default,
            image::codecs::png::FilterType::Adaptive,
        )
        .write_image(pixels.bytes(), width, height, pixels.color())
        .map_err(unreadable)?,
        _ => return Ok(webp(pixels, width, height, media_type)?.body),
    }
    Ok(out)
}

/// A WebP copy: lossy for photographs (JPEG and WebP originals), lossless for PNG's graphics.
fn webp(pixels: &Pixels, width: u32, height: u32, original: MediaType) -> Result<Variant, Refusal> {
    let encoder = match pixels {
        Pixels::Rgb(bytes) => webp::Encoder::from_rgb(bytes, width, height),
        Pixels::Rgba(bytes) => webp::Encoder::from_rgba(bytes, width, height),
    };
    let encoded = encoder
        .encode_simple(original == MediaType::Png, WEBP_QUALITY)
        .map_err(|error| unreadable(format!("{error:?}")))?;
    Ok(Variant {
        info: VariantInfo {
            width,
            height,
            format: MediaType::Webp,
        },
        body: encoded.to_vec(),
    })
}

/// A GIF keeps its animation: every frame is decoded (within the pixel limit, counted over all of
/// them) and written again, without comments or application extensions. It gets no variants, so
/// that it stays animated wherever it is shown.
fn process_gif(bytes: &[u8]) -> Result<Processed, Refusal> {
    let mut decoder = GifDecoder::new(Cursor::new(bytes)).map_err(|error| refusal_of(&error))?;
    decoder
        .set_limits(limits())
        .map_err(|error| refusal_of(&error))?;
    let (width, height) = decoder.dimensions();
    check_pixels(width, height)?;
    let per_frame = u64::from(width) * u64::from(height);
    let mut frames = Vec::new();
    let mut pixels = 0;
    for frame in decoder.into_frames() {
        let frame = frame.map_err(|error| refusal_of(&error))?;
        pixels += per_frame;
        if pixels > MAX_PIXELS {
            return Err(Refusal::TooLarge);
        }
        frames.push(frame);
    }
    let mut body = Vec::new();
    {
        let mut encoder = GifEncoder::new(&mut body);
        encoder.set_repeat(Repeat::Infinite).map_err(unreadable)?;
        encoder.encode_frames(frames).map_err(unreadable)?;
    }
    Ok(Processed {
        width,
        height,
        body,
        variants: Vec::new(),
    })
}
