//! The site's two languages and the user-interface strings in each.
//!
//! Swedish is the primary language and lives at the root of the URL space; English lives under `/en/`.
//! Page content comes from the database; only the chrome around it (menus, notices, error pages) is here.

pub mod labels;

use std::fmt;

pub use labels::Label;

/// A language the site is published in.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    serde::Serialize,
    serde::Deserialize,
    sqlx::Type,
)]
#[serde(rename_all = "lowercase")]
#[sqlx(type_name = "text", rename_all = "lowercase")]
pub enum Lang {
    Sv,
    En,
}

impl Lang {
    /// Both languages, primary first.
    pub const ALL: [Lang; 2] = [Lang::Sv, Lang::En];

    /// `n` as the language writes numbers: thousands apart by a no-break space in Swedish
    /// ("1 000"), by a comma in English ("1,000").
    pub fn number(self, n: i64) -> String {
        let separator = match self {
            Lang::Sv => '\u{a0}',
            Lang::En => ',',
        };
        let digits = n.unsigned_abs().to_string();
        let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
        if n < 0 {
            out.push('-');
        }
        for (index, digit) in digits.chars().enumerate() {
            if index > 0 && (digits.len() - index).is_multiple_of(3) {
                out.push(separator);
            }
            out.push(digit);
        }
        out
    }

    /// The BCP 47 code used in `lang` attributes, `hreflang` and the database.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Sv => "sv",
            Lang::En => "en",
        }
    }

    /// Parses the code stored in the database or named in a content folder.
    pub fn from_code(code: &str) -> Option<Lang> {
        match code {
            "sv" => Some(Lang::Sv),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// The other language, for the language switch.
    pub fn other(self) -> Lang {
        match self {
            Lang::Sv => Lang::En,
            Lang::En => Lang::Sv,
        }
    }

    /// The language a request path belongs to: `/en` and everything below it is English.
    pub fn of_path(path: &str) -> Lang {
        if path == "/en" || path.starts_with("/en/") {
            Lang::En
        } else {
            Lang::Sv
        }
    }

    /// The URL prefix of this language's pages: `""` for Swedish, `"/en"` for English.
    pub fn prefix(self) -> &'static str {
        match self {
            Lang::Sv => "",
            Lang::En => "/en",
        }
    }

    /// The public URL path of the page at `path` (a page path without slashes at either end).
    pub fn page_url(self, path: &str) -> String {
        match (self, path) {
            (Lang::Sv, "") => "/".to_owned(),
            (Lang::En, "") => "/en/".to_owned(),
            _ => format!("{}/{path}", self.prefix()),
        }
    }

    /// The URL path of the news list: `/nyheter` or `/en/news`.
    pub fn news_url(self) -> String {
        self.page_url(self.news_path())
    }

    /// The URL path of page `number` of the news list: `/nyheter/sida/2` or `/en/news/page/2`, and
    /// the list's own address for page 1.
    pub fn news_page_url(self, number: i64) -> String {
        if number <= 1 {
            self.news_url()
        } else {
            format!("{}/{}/{number}", self.news_url(), self.page_param())
        }
    }

    /// The URL path of the Atom feed: `/feed.xml` or `/en/feed.xml`.
    pub fn feed_url(self) -> String {
        format!("{}/feed.xml", self.prefix())
    }

    /// The URL path of search: `/sok` or `/en/search`.
    pub fn search_url(self) -> &'static str {
        match self {
            Lang::Sv => "/sok",
            Lang::En => "/en/search",
        }
    }

    /// The word for a page of a list: the query parameter of search results (`?sida=2`) and the path
    /// segment of the news list's pages (`/nyheter/sida/2`).
    pub fn page_param(self) -> &'static str {
        match self {
            Lang::Sv => "sida",
            Lang::En => "page",
        }
    }

    /// The URL path of the OpenSearch description: `/opensearch.xml` or `/en/opensearch.xml`.
    pub fn opensearch_url(self) -> String {
        format!("{}/opensearch.xml", self.prefix())
    }

    /// The page path of the news list, reserved for it in this language.
    pub fn news_path(self) -> &'static str {
        match self {
            Lang::Sv => "nyheter",
            Lang::En => "news",
        }
    }

    /// The user-interface strings of this language.
    pub fn texts(self) -> &'static Texts {
        match self {
            Lang::Sv => &SV,
            Lang::En => &EN,
        }
    }
}

/// Read and written by rusqlite as its code, as sqlx does.
impl rusqlite::types::FromSql for Lang {
    fn column_result(value: rusqlite::types::ValueRef<'_>) -> rusqlite::types::FromSqlResult<Self> {
        Lang::from_code(value.as_str()?).ok_or(rusqlite::types::FromSqlError::InvalidType)
    }
}

impl rusqlite::ToSql for Lang {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        Ok(self.code().into())
    }
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// Every string of the site's chrome, in one language.
#[derive(Debug)]
pub struct Texts {
    pub site_name: &'static str,
    /// The language's own name, shown on the switch that leads to it.
    pub language_name: &'static str,
    pub skip_to_content: &'static str,
    pub main_menu: &'static str,
    pub breadcrumbs: &'static str,
    pub home: &'static str,
    pub news: &'static str,
    pub news_intro: &'static str,
    pub no_news: &'static str,
    pub latest_news: &'static str,
    pub all_news: &'static str,
    pub in_this_section: &'static str,
    pub published: &'static str,
    pub archived_notice: &'static str,
    pub pagination: &'static str,
    pub newer: &'static str,
    pub older: &'static str,
    pub page_of: &'static str,
    pub feed_title: &'static str,
    pub accessibility_statement: &'static str,
    /// Page path of the accessibility statement in this language.
    pub accessibility_path: &'static str,
    pub footer_owner: &'static str,
    pub error_not_found_title: &'static str,
    pub error_not_found: &'static str,
    pub error_bad_request_title: &'static str,
    pub error_method_title: &'static str,
    pub error_method: &'static str,
    pub error_too_long_title: &'static str,
    pub error_too_long: &'static str,
    pub error_too_large_title: &'static str,
    pub error_too_large: &'static str,
    pub error_unavailable_title: &'static str,
    pub error_unavailable: &'static str,
    pub error_internal_title: &'static str,
    pub error_internal: &'static str,
    pub error_generic_title: &'static str,
    pub error_request_id: &'static str,
    pub error_try: &'static str,
    /// The page left at an old address in a static copy of the site, which leads to the new one.
    pub moved_title: &'static str,
    pub moved_link: &'static str,
    pub invalid_address: &'static str,
    pub invalid_page_number: &'static str,
    pub search: &'static str,
    pub search_label: &'static str,
    pub search_title: &'static str,
    /// "{count} results for {query}", for more than one.
    pub search_hits: &'static str,
    /// More results than are counted ([`crate::db::search::COUNT_UP_TO`]).
    pub search_more_hits: &'static str,
    pub search_one_hit: &'static str,
    pub search_nothing: &'static str,
    pub search_tips: &'static str,
    pub search_did_you_mean: &'static str,
    /// "The same search in Swedish: {count} results".
    pub search_other_lang: &'static str,
    pub search_empty: &'static str,
    pub search_only_excluded: &'static str,
    pub search_cut: &'static str,
    pub search_help: &'static str,
    pub search_results: &'static str,
    pub search_sections: &'static str,
    pub newer_results: &'static str,
    pub more_results: &'static str,
    pub opensearch_description: &'static str,
}

static SV: Texts = Texts {
    site_name: "SKL International",
    language_name: "Svenska",
    skip_to_content: "Till innehållet",
    main_menu: "Huvudmeny",
    breadcrumbs: "Du är här",
    home: "Startsida",
    news: "Nyheter",
    news_intro: "Nyheter från SKL International.",
    no_news: "Det finns inga nyheter ännu.",
    latest_news: "Senaste nyheterna",
    all_news: "Alla nyheter",
    in_this_section: "I den här delen",
    published: "Publicerad",
    archived_notice: "Arkiverat innehåll: projektet Millenniekommun avslutades 2012. Sidan finns kvar för kännedom och uppdateras inte längre.",
    pagination: "Sidnumrering",
    newer: "Nyare nyheter",
    older: "Äldre nyheter",
    page_of: "Sida {page} av {pages}",
    feed_title: "SKL International – nyheter",
    accessibility_statement: "Tillgänglighetsredogörelse",
    accessibility_path: "tillganglighetsredogorelse",
    footer_owner: "SKL International ägs av Sveriges Kommuner och Landsting (SKL).",
    error_not_found_title: "Sidan finns inte",
    error_not_found: "Vi hittar ingen sida på den här adressen. Den kan ha flyttats eller tagits bort, eller så är adressen felstavad.",
    error_bad_request_title: "Felaktig förfrågan",
    error_method_title: "Metoden stöds inte",
    error_method: "Den här adressen går bara att läsa, inte att skicka uppgifter till.",
    error_too_long_title: "Adressen är för lång",
    error_too_long: "Adressen är längre än vad webbplatsen tar emot. Kontrollera länken du följde.",
    error_too_large_title: "För mycket på en gång",
    error_too_large: "Det som skickades är större än webbplatsen tar emot (högst 1 MB). Gå tillbaka, kopiera texten och dela upp den på flera sidor.",
    error_unavailable_title: "Tjänsten svarar inte just nu",
    error_unavailable: "Det tog för lång tid att svara. Försök igen om en stund.",
    error_internal_title: "Något gick fel",
    error_internal: "Ett fel uppstod hos oss, inte hos dig. Försök igen om en stund.",
    error_generic_title: "Förfrågan kunde inte utföras",
    error_request_id: "Felkod",
    error_try: "Du kan gå till startsidan eller någon av huvuddelarna:",
    moved_title: "Sidan har flyttat",
    moved_link: "Gå till sidans nya adress",
    invalid_address: "Adressen innehåller tecken som inte är tillåtna. Kontrollera länken du följde.",
    invalid_page_number: "Sidnumret måste vara ett heltal från 1 och uppåt.",
    search: "Sök",
    search_label: "Sök på webbplatsen",
    search_title: "Sök",
    search_hits: "{count} träffar för {query}",
    search_more_hits: "Fler än {count} träffar för {query}",
    search_one_hit: "1 träff för {query}",
    search_nothing: "Inga sidor hittades för {query}.",
    search_tips: "Kontrollera stavningen, prova ett annat eller kortare ord, eller sök på färre ord.",
    search_did_you_mean: "Menade du",
    search_other_lang: "Samma sökning på engelska: {count}",
    search_empty: "Skriv ett eller flera ord att söka efter.",
    search_only_excluded: "Skriv minst ett ord att söka efter, inte bara ord att utesluta (de med minus framför).",
    search_cut: "Sökningen var för lång och kortades till 200 tecken.",
    search_help: "Tips: sök på en fras med citattecken, \"så här\", och uteslut ett ord med minus framför, -ord.",
    search_results: "Sökresultat",
    search_sections: "Du kan också gå till någon av huvuddelarna:",
    newer_results: "Föregående träffar",
    more_results: "Fler träffar",
    opensearch_description: "Sök på SKL Internationals webbplats",
};

static EN: Texts = Texts {
    site_name: "SKL International",
    language_name: "English",
    skip_to_content: "Skip to content",
    main_menu: "Main menu",
    breadcrumbs: "You are here",
    home: "Home",
    news: "News",
    news_intro: "News from SKL International.",
    no_news: "There is no news yet.",
    latest_news: "Latest news",
    all_news: "All news",
    in_this_section: "In this section",
    published: "Published",
    archived_notice: "Archived content: the Millennium Municipality project ended in 2012. This page is kept for reference and is no longer updated.",
    pagination: "Pagination",
    newer: "Newer news",
    older: "Older news",
    page_of: "Page {page} of {pages}",
    feed_title: "SKL International – news",
    accessibility_statement: "Accessibility statement",
    accessibility_path: "accessibility-statement",
    footer_owner: "SKL International is owned by the Swedish Association of Local Authorities and Regions (SKL).",
    error_not_found_title: "Page not found",
    error_not_found: "There is no page at this address. It may have been moved or removed, or the address may be misspelt.",
    error_bad_request_title: "Bad request",
    error_method_title: "Method not allowed",
    error_method: "This address can only be read, not sent data to.",
    error_too_long_title: "The address is too long",
    error_too_long: "The address is longer than this website accepts. Check the link you followed.",
    error_too_large_title: "Too much at once",
    error_too_large: "What was sent is larger than this website accepts (1 MB at most). Go back, copy the text and split it over several pages.",
    error_unavailable_title: "The service is not responding right now",
    error_unavailable: "It took too long to answer. Please try again in a moment.",
    error_internal_title: "Something went wrong",
    error_internal: "An error occurred on our side, not yours. Please try again in a moment.",
    error_generic_title: "The request could not be completed",
    error_request_id: "Error code",
    error_try: "You can go to the home page or one of the main sections:",
    moved_title: "This page has moved",
    moved_link: "Go to the page's new address",
    invalid_address: "The address contains characters that are not allowed. Check the link you followed.",
    invalid_page_number: "The page number must be a whole number from 1 upwards.",
    search: "Search",
    search_label: "Search the website",
    search_title: "Search",
    search_hits: "{count} results for {query}",
    search_more_hits: "More than {count} results for {query}",
    search_one_hit: "1 result for {query}",
    search_nothing: "No pages were found for {query}.",
    search_tips: "Check the spelling, try another or a shorter word, or search for fewer words.",
    search_did_you_mean: "Did you mean",
    search_other_lang: "The same search in Swedish: {count}",
    search_empty: "Type one or more words to search for.",
    search_only_excluded: "Type at least one word to search for, not only words to leave out (those with a minus in front).",
    search_cut: "The search was too long and was cut to 200 characters.",
    search_help: "Tip: search for a phrase in quotes, \"like this\", and leave out a word with a minus in front, -word.",
    search_results: "Search results",
    search_sections: "You can also go to one of the main sections:",
    newer_results: "Previous results",
    more_results: "More results",
    opensearch_description: "Search the website of SKL International",
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn english_is_everything_under_en() {
        assert_eq!(Lang::of_path("/en"), Lang::En);
        assert_eq!(Lang::of_path("/en/about"), Lang::En);
        assert_eq!(Lang::of_path("/english"), Lang::Sv);
        assert_eq!(Lang::of_path("/om-oss"), Lang::Sv);
    }

    #[test]
    fn page_urls_put_home_at_the_language_root() {
        assert_eq!(Lang::Sv.page_url(""), "/");
        assert_eq!(Lang::En.page_url(""), "/en/");
        assert_eq!(Lang::Sv.page_url("om-oss"), "/om-oss");
        assert_eq!(Lang::En.page_url("a/b"), "/en/a/b");
        assert_eq!(Lang::Sv.news_url(), "/nyheter");
        assert_eq!(Lang::En.news_url(), "/en/news");
    }

    #[test]
    fn numbers_are_grouped_by_thousands() {
        assert_eq!(Lang::Sv.number(1000), "1\u{a0}000");
        assert_eq!(Lang::En.number(1234567), "1,234,567");
        assert_eq!(Lang::En.number(999), "999");
        assert_eq!(Lang::Sv.number(-12345), "-12\u{a0}345");
    }
}
