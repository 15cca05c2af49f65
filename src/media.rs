//! Images and documents in the media library: which files are taken (by their content, never their
//! name), how they are cleaned and made into responsive variants ([`image`]), their addresses, and
//! what a page needs to show one ([`Embedded`]). What editors do to the library, as transactions, is
//! in [`library`]; the library in a content folder, for `export` and `import`, in [`transfer`].

pub mod image;
pub mod library;
pub mod pending;
pub mod transfer;

use crate::{ids::MediaId, lang::Lang, vocab::MediaType};

/// The widths of the smaller copies made of an image for `srcset`; none is wider than the image.
pub const VARIANT_WIDTHS: &[u32] = &[480, 960, 1600];

/// The largest upload taken by default: 10 MiB.
pub const DEFAULT_MAX_UPLOAD: u64 = 10 * 1024 * 1024;

/// The types taken, as the refusal of any other names them.
pub const ALLOWED: &str = "JPEG, PNG, WebP, GIF och PDF";

/// The type of a file by its first bytes, if it is one of those taken. An SVG, an HTML page or a
/// program is none of them, whatever its name says.
pub fn sniff(bytes: &[u8]) -> Option<MediaType> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(MediaType::Jpeg)
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some(MediaType::Png)
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        Some(MediaType::Gif)
    } else if bytes.len() >= 12 && bytes.starts_with(b"RIFF") && &bytes[8..12] == b"WEBP" {
        Some(MediaType::Webp)
    } else if bytes.starts_with(b"%PDF-") {
        Some(MediaType::Pdf)
    } else {
        None
    }
}

/// A file name fit for an address: the uploaded name's stem folded to lower-case ASCII letters,
/// digits and dashes (at most 60 of them), and the extension of the type the content has.
/// "Kommunkarta 2024 (slutlig).JPEG" becomes `kommunkarta-2024-slutlig.jpg`.
pub fn clean_name(uploaded: &str, media_type: MediaType) -> String {
    // Browsers send only the name, but an old one sent the whole path.
    let name = uploaded.rsplit(['/', '\\']).next().unwrap_or_default();
    let stem = match name.rsplit_once('.') {
        Some((stem, _)) if !stem.is_empty() => stem,
        _ => name,
    };
    let mut slug = crate::content::page::slugify(stem);
    if slug == "section" && !stem.to_ascii_lowercase().contains("section") {
        slug = "fil".to_owned();
    }
    let mut end = slug.len().min(60);
    while !slug.is_char_boundary(end) {
        end -= 1;
    }
    let stem = slug[..end].trim_end_matches('-');
    format!("{stem}.{}", media_type.extension())
}

/// The stem of a cleaned file name: `kommunkarta` of `kommunkarta.jpg`.
pub fn stem(file_name: &str) -> &str {
    file_name
        .rsplit_once('.')
        .map_or(file_name, |(stem, _)| stem)
}

/// The address of a file as uploaded (cleaned).
pub fn url(id: MediaId, file_name: &str) -> String {
    format!("/media/{id}/{file_name}")
}

/// The Markdown that puts file `id` into a page, readable as it stands in the text: an image with
/// its alternative text and, when given, its caption (`![Karta över Kenya](/media/12/karta.jpg
/// "Bildtext")`, shown as a figure); a document as a link named by its file
/// (`[rapport](/media/13/rapport.pdf)`). Brackets and quotes in the texts are escaped, so no text
/// breaks the line's Markdown.
pub fn snippet(id: MediaId, file_name: &str, is_image: bool, alt: &str, caption: &str) -> String {
    let address = url(id, file_name);
    let inline = |text: &str| {
        let one_line: String = text
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        one_line
            .trim()
            .replace('\\', "\\\\")
            .replace('[', "\\[")
            .replace(']', "\\]")
    };
    if !is_image {
        return format!("[{}]({address})", inline(stem(file_name)));
    }
    let caption = inline(caption).replace('"', "\\\"");
    if caption.is_empty() {
        format!("![{}]({address})", inline(alt))
    } else {
        format!("![{}]({address} \"{caption}\")", inline(alt))
    }
}

/// The address of every current file of the library and of each of its variants, for the static
/// copy.
pub async fn all_addresses(db: impl Into<crate::db::Exec<'_>>) -> sqlx::Result<Vec<String>> {
    let rows = crate::db::media::all_files(db).await?;
    let mut addresses = Vec::with_capacity(rows.len() * 2);
    let mut last_file = None;
    for (id, file_name, width, format) in rows {
        // Rows come by file: the first of each names the file itself too.
        if last_file != Some(id) {
            addresses.push(url(id, &file_name));
            last_file = Some(id);
        }
        if let (Some(width), Some(format)) = (width, format) {
            addresses.push(variant_url(id, width, &file_name, format));
        }
    }
    Ok(addresses)
}

/// The address of a variant of an image: `/media/12/960/kommunkarta.webp`.
pub fn variant_url(id: MediaId, width: u32, file_name: &str, format: MediaType) -> String {
    format!(
        "/media/{id}/{width}/{}.{}",
        stem(file_name),
        format.extension()
    )
}

/// A size as people read it, in `lang`: "1,2 MB", "850 kB" (powers of 1000, as file managers show).
pub fn human_size(bytes: u64, lang: Lang) -> String {
    let (value, unit) = if bytes >= 1_000_000 {
        (bytes as f64 / 1_000_000.0, "MB")
    } else if bytes >= 1_000 {
        (bytes as f64 / 1_000.0, "kB")
    } else {
        return format!("{bytes} B");
    };
    let shown = if value < 10.0 {
        format!("{value:.1}")
    } else {
        format!("{value:.0}")
    };
    match lang {
        Lang::Sv => format!("{} {unit}", shown.replace('.', ",")),
        Lang::En => format!("{shown} {unit}"),
    }
}

pub use crate::db::media::{Embedded, Library, VariantInfo};

impl Embedded {
    pub fn url(&self) -> String {
        url(self.id, &self.file_name)
    }

    /// The alternative text for a page in `lang`: the English one on English pages when there is
    /// one, the Swedish one otherwise; empty for a decorative image.
    pub fn alt(&self, lang: Lang) -> &str {
        if self.decorative {
            ""
        } else if lang == Lang::En && !self.alt_en.trim().is_empty() {
            &self.alt_en
        } else {
            &self.alt_sv
        }
    }

    /// `srcset` of the variants in `format`, narrowest first, with the original when it is that
    /// format too.
    pub fn srcset(&self, format: MediaType) -> String {
        let mut candidates: Vec<(u32, String)> = self
            .variants
            .iter()
            .filter(|variant| variant.format == format)
            .map(|variant| {
                (
                    variant.width,
                    variant_url(self.id, variant.width, &self.file_name, format),
                )
            })
            .collect();
        if self.media_type == format
            && let Some(width) = self.width
            && !candidates.iter().any(|(w, _)| *w == width)
        {
            candidates.push((width, self.url()));
        }
        candidates.sort_by_key(|(width, _)| *width);
        candidates
            .iter()
            .map(|(width, url)| format!("{url} {width}w"))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The address for `src`: the variant of the original's format nearest 960 pixels wide, or the
    /// original.
    pub fn fallback_src(&self) -> String {
        self.variants
            .iter()
            .filter(|variant| variant.format == self.media_type)
            .min_by_key(|variant| variant.width.abs_diff(960))
            .map_or_else(
                || self.url(),
                |variant| variant_url(self.id, variant.width, &self.file_name, self.media_type),
            )
    }

    /// "PDF, 1,2 MB", for a link to the file.
    pub fn described(&self, lang: Lang) -> String {
        format!(
            "{}, {}",
            self.media_type.name(),
            human_size(self.byte_size, lang)
        )
    }
}

/// The id that an address of the library names: `/media/12/…` names 12. Only addresses of this
/// site, absolute or not.
pub fn id_in(url: &str) -> Option<MediaId> {
    let rest = url.strip_prefix("/media/")?;
    let (id, _) = rest.split_once('/')?;
    if id.is_empty() || id.len() > 18 || !id.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    id.parse().ok()
}

#[cfg(test)]
mod tests {
    #[test]
    fn snippets_are_readable_markdown_that_no_text_can_break() {
        let id = MediaId(12);
        assert_eq!(
            super::snippet(id, "karta.jpg", true, "Karta över Kenya", ""),
            "![Karta över Kenya](/media/12/karta.jpg)"
        );
        assert_eq!(
            super::snippet(id, "karta.jpg", true, "Karta [1]", "Foto: \"SKL\"\nrad två"),
            "![Karta \\[1\\]](/media/12/karta.jpg \"Foto: \\\"SKL\\\" rad två\")"
        );
        assert_eq!(
            super::snippet(id, "rapport-2012.pdf", false, "", ""),
            "[rapport-2012](/media/12/rapport-2012.pdf)"
        );
    }

    use super::*;

    #[test]
    fn types_are_told_by_content() {
        assert_eq!(sniff(b"\xFF\xD8\xFF\xE0rest"), Some(MediaType::Jpeg));
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\nrest"), Some(MediaType::Png));
        assert_eq!(sniff(b"GIF89a..."), Some(MediaType::Gif));
        assert_eq!(sniff(b"RIFF\0\0\0\0WEBPVP8 "), Some(MediaType::Webp));
        assert_eq!(sniff(b"%PDF-1.7"), Some(MediaType::Pdf));
        assert_eq!(sniff(b"<svg xmlns=\"http://www.w3.org/2000/svg\">"), None);
        assert_eq!(sniff(b"<!doctype html><script>"), None);
        assert_eq!(sniff(b"RIFF\0\0\0\0WAVE"), None);
        assert_eq!(sniff(b""), None);
    }

    #[test]
    fn names_are_cleaned_and_take_the_type_s_extension() {
        assert_eq!(
            clean_name("Kommunkarta 2024 (slutlig).JPEG", MediaType::Jpeg),
            "kommunkarta-2024-slutlig.jpg"
        );
        assert_eq!(
            clean_name("C:\\Users\\x\\Årsrapport.pdf", MediaType::Pdf),
            "arsrapport.pdf"
        );
        assert_eq!(clean_name("bild.jpg", MediaType::Png), "bild.png");
        assert_eq!(clean_name("../../etc/passwd", MediaType::Pdf), "passwd.pdf");
        assert_eq!(clean_name("!!!.gif", MediaType::Gif), "fil.gif");
        assert_eq!(clean_name("", MediaType::Gif), "fil.gif");
        assert!(clean_name(&"å".repeat(200), MediaType::Pdf).len() <= 64);
    }

    #[test]
    fn sizes_read_as_people_write_them() {
        assert_eq!(human_size(1_234_567, Lang::Sv), "1,2 MB");
        assert_eq!(human_size(1_234_567, Lang::En), "1.2 MB");
        assert_eq!(human_size(850_000, Lang::Sv), "850 kB");
        assert_eq!(human_size(999, Lang::Sv), "999 B");
    }

    #[test]
    fn addresses_name_their_file() {
        assert_eq!(id_in("/media/12/kommunkarta.jpg"), Some(MediaId(12)));
        assert_eq!(id_in("/media/12/960/kommunkarta.webp"), Some(MediaId(12)));
        assert_eq!(id_in("/media/x/k.jpg"), None);
        assert_eq!(id_in("/media/12"), None);
        assert_eq!(id_in("https://example.org/media/12/k.jpg"), None);
        assert_eq!(id_in("/media/99999999999999999999/k.jpg"), None);
    }

    #[test]
    fn srcset_lists_the_variants_and_the_original() {
        let embedded = Embedded {
            id: MediaId(3),
            media_type: MediaType::Jpeg,
            file_name: "karta.jpg".into(),
            byte_size: 1,
            width: Some(2000),
            height: Some(1000),
            alt_sv: "Karta".into(),
            alt_en: String::new(),
            decorative: false,
            variants: [480, 960, 1600]
                .into_iter()
                .flat_map(|width| {
                    [MediaType::Jpeg, MediaType::Webp].map(|format| VariantInfo {
                        width,
                        height: width / 2,
                        format,
                    })
                })
                .collect(),
        };
        assert_eq!(
            embedded.srcset(MediaType::Jpeg),
            "/media/3/480/karta.jpg 480w, /media/3/960/karta.jpg 960w, \
             /media/3/1600/karta.jpg 1600w, /media/3/karta.jpg 2000w"
        );
        assert!(!embedded.srcset(MediaType::Webp).contains("2000w"));
        assert_eq!(embedded.fallback_src(), "/media/3/960/karta.jpg");
        assert_eq!(embedded.alt(Lang::En), "Karta");
    }
}
