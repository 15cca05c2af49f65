//! A generated site at size: pages in Swedish and English of 300–2,000 words drawn from the seed
//! content's own vocabulary, a third of them news, some below a parent, with compound words made the
//! Swedish way (two words run together). Deterministic: the same `count` gives the same pages.

use skl_cms::{
    content::{SeedContent, markdown},
    db::{self, pages::Content},
    lang::Lang,
    time::DatePrecision,
    vocab::{Kind, Status},
};

/// A small, fast, deterministic generator (xorshift64*); no statistical claims.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.max(1))
    }

    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    /// An index below `n`, small ones far more often than large ones, as words in real text are
    /// drawn (about Zipf's 1/rank).
    pub fn zipf(&mut self, n: usize) -> usize {
        let u = (self.next() >> 11) as f64 / (1u64 << 53) as f64;
        let x = ((n as f64 + 1.0).powf(u) - 1.0) as usize;
        x.min(n.saturating_sub(1))
    }
}

/// The words of the seed content in `lang`, each once, in an order of their own (the first ones are
/// drawn most often).
pub fn vocabulary(lang: Lang) -> Vec<String> {
    let mut words: Vec<String> = SeedContent::iter()
        .filter(|name| name.starts_with(lang.code()))
        .filter_map(|name| SeedContent::get(&name))
        .flat_map(|file| {
            let text = String::from_utf8_lossy(&file.data).into_owned();
            text.split(|c: char| !c.is_alphabetic())
                .filter(|word| word.chars().count() > 1)
                .map(str::to_lowercase)
                .collect::<Vec<_>>()
        })
        .collect();
    words.sort();
    words.dedup();
    let mut rng = Rng::new(7);
    for i in (1..words.len()).rev() {
        words.swap(i, rng.below(i + 1));
    }
    words
}

/// Page `n` of the corpus, in its language.
pub fn page(n: usize, rng: &mut Rng, swedish: &[String], english: &[String]) -> (Lang, Content) {
    let lang = if n.is_multiple_of(2) {
        Lang::Sv
    } else {
        Lang::En
    };
    let words = if lang == Lang::Sv { swedish } else { english };
    let pick = |rng: &mut Rng| words[rng.zipf(words.len())].clone();
    let title_words = 2 + rng.below(5);
    let mut title: Vec<String> = (0..title_words).map(|_| pick(rng)).collect();
    if let Some(first) = title.first_mut() {
        let mut chars = first.chars();
        if let Some(c) = chars.next() {
            *first = c.to_uppercase().chain(chars).collect();
        }
    }
    let title = format!("{} {n}", title.join(" "));
    let length = 300 + rng.below(1700);
    let mut body = String::with_capacity(length * 9);
    let mut sentence = 0;
    for i in 0..length {
        if i % 120 == 0 && i > 0 {
            body.push_str("\n\n");
            if rng.below(4) == 0 {
                body.push_str("## ");
                body.push_str(&pick(rng));
                body.push_str("\n\n");
            }
        }
        let mut word = pick(rng);
        if lang == Lang::Sv && rng.below(25) == 0 {
            // A compound, the Swedish way.
            word.push_str(&pick(rng));
        }
        if sentence == 0 {
            let mut chars = word.chars();
            if let Some(c) = chars.next() {
                word = c.to_uppercase().chain(chars).collect();
            }
        }
        body.push_str(&word);
        sentence += 1;
        if sentence > 8 + rng.below(12) {
            body.push_str(". ");
            sentence = 0;
        } else {
            body.push(' ');
        }
    }
    let news = n.is_multiple_of(3);
    let section = n % 40;
    let path = if news {
        format!("{}/arkiv-{n}", lang.news_path())
    } else {
        format!("sektion-{section}/sida-{n}")
    };
    let day = 1 + n % 28;
    let month = 1 + n % 12;
    let year = 2005 + n % 20;
    (
        lang,
        Content {
            path,
            title,
            description: String::new(),
            body_md: body,
            kind: if news { Kind::News } else { Kind::Page },
            status: Status::Published,
            publish_at: news.then(|| format!("{year}-{month:02}-{day:02}T09:00:00Z")),
            date_precision: DatePrecision::Day,
            menu_order: None,
            translation_key: None,
            archived: false,
        },
    )
}

/// Writes `count` generated pages into the database, in one transaction, without indexing them for
/// search. Returns how many words they hold.
#[allow(dead_code)] // Not every benchmark fills a database.
pub async fn fill(pool: &db::Pool, count: usize) -> usize {
    let (swedish, english) = (vocabulary(Lang::Sv), vocabulary(Lang::En));
    let mut rng = Rng::new(2026);
    let now = skl_cms::time::now_db();
    let mut tx = db::begin_write(pool).await.expect("transaction");
    let mut words = 0;
    for n in 0..count {
        let (lang, content) = page(n, &mut rng, &swedish, &english);
        words += content.body_md.split_whitespace().count();
        let html = markdown::render(&content.body_md);
        db::pages::insert(&mut tx, lang, &content, &html, &now)
            .await
            .expect("page");
    }
    tx.commit().await.expect("commit");
    words
}
