//! The rules, each with texts that must give it and texts that must not.

use super::*;
use crate::{ids::MediaId, media::Embedded, vocab::MediaType};

/// A finding as a test expects it: its rule, line and detail.
type Expected = (Rule, usize, &'static str);

fn found(body: &str) -> Vec<(Rule, usize, String)> {
    check(body, Lang::Sv, &Library::default())
        .into_iter()
        .map(|finding| (finding.rule, finding.line, finding.detail))
        .collect()
}

fn rules(body: &str) -> Vec<Rule> {
    found(body).into_iter().map(|(rule, _, _)| rule).collect()
}

#[test]
fn every_rule_has_a_row_with_both_languages() {
    let mut ids = std::collections::HashSet::new();
    for rule in Rule::ALL {
        let info = rule.info();
        assert!(ids.insert(info.id), "{} twice", info.id);
        assert!(info.message_sv.ends_with('.') && info.message_en.ends_with('.'));
        if let Some(criterion) = info.wcag {
            assert!(
                criterion
                    .url
                    .starts_with("https://www.w3.org/WAI/WCAG21/Understanding/")
            );
        }
    }
    assert_eq!(Rule::BrokenLink.wcag(), None);
}

/// Markdown in, findings out: one row a rule, and texts that must give none.
#[test]
fn the_table_of_inputs_and_findings() {
    let table: &[(&str, &[Expected])] = &[
        // Images.
        (
            "Text.\n\n![](https://example.se/a.jpg)",
            &[(Rule::ImageWithoutAlt, 3, "https://example.se/a.jpg")],
        ),
        (
            "![   ](/static/x.png)",
            &[(Rule::ImageWithoutAlt, 1, "/static/x.png")],
        ),
        (
            "![karta.jpg](/media/9/karta.jpg)",
            &[(Rule::FileNameAsAlt, 1, "karta.jpg")],
        ),
        (
            "![IMG_2034](/bild.jpg)",
            &[(Rule::FileNameAsAlt, 1, "IMG_2034")],
        ),
        (
            "![bild-2024_01](/bild.jpg)",
            &[(Rule::FileNameAsAlt, 1, "bild-2024_01")],
        ),
        // Headings.
        (
            "# Rubrik\n\nText.",
            &[(Rule::HeadingLevelOne, 1, "# Rubrik")],
        ),
        (
            "## Ett\n\n#### Tre",
            &[(Rule::SkippedHeadingLevel, 3, "## → ####")],
        ),
        (
            "### Först på nivå tre",
            &[(Rule::SkippedHeadingLevel, 1, "# → ###")],
        ),
        ("Text.\n\n##\n", &[(Rule::EmptyHeading, 3, "##")]),
        // Links.
        (
            "Se [klicka här](/om-oss).",
            &[(Rule::VagueLinkText, 1, "klicka här")],
        ),
        (
            "[Läs mer…](/om-oss)",
            &[(Rule::VagueLinkText, 1, "Läs mer…")],
        ),
        (
            "[Read more](/en/about)",
            &[(Rule::VagueLinkText, 1, "Read more")],
        ),
        ("[här](/a)", &[(Rule::VagueLinkText, 1, "här")]),
        ("[länk](/a)", &[(Rule::VagueLinkText, 1, "länk")]),
        (
            "[https://skl.se/rapport](https://skl.se/rapport)",
            &[(Rule::UrlAsLinkText, 1, "https://skl.se/rapport")],
        ),
        (
            "<https://skl.se>",
            &[(Rule::UrlAsLinkText, 1, "https://skl.se")],
        ),
        (
            "[www.skl.se](https://www.skl.se)",
            &[(Rule::UrlAsLinkText, 1, "www.skl.se")],
        ),
        ("[](/om-oss)", &[(Rule::EmptyLink, 1, "/om-oss")]),
        (
            "[Rapporten](/a)\n\n[rapporten](/b)",
            &[(Rule::SameTextOtherPlace, 3, "rapporten: /a (rad 1), /b")],
        ),
        // Tables.
        (
            "|   |   |\n|---|---|\n| 1 | 2 |",
            &[(Rule::TableWithoutHeader, 1, "|   |   |")],
        ),
        // Capitals.
        (
            "Det här är VIKTIGT ATT LÄSA FÖRE MÖTET i dag.",
            &[(Rule::Capitals, 1, "VIKTIGT ATT LÄSA FÖRE MÖTET")],
        ),
    ];
    for (body, expected) in table {
        let expected: Vec<(Rule, usize, String)> = expected
            .iter()
            .map(|(rule, line, detail)| (*rule, *line, (*detail).to_owned()))
            .collect();
        assert_eq!(found(body), expected, "for {body:?}");
    }
    let long = format!("Inledning.\n\n{}", "ord ".repeat(LONG_PARAGRAPH_WORDS + 1));
    assert_eq!(
        found(&long),
        [(Rule::LongParagraph, 3, "101 ord".to_owned())]
    );
    assert_eq!(found(&"ord ".repeat(LONG_PARAGRAPH_WORDS)), []);
}

/// False positives are bugs too.
#[test]
fn good_texts_give_no_findings() {
    let good = [
        "## Om oss\n\nSKL International arbetar med kommuner i EU och FN.\n\n### Historia\n\nText.",
        "![Karta över Sveriges kommuner](/media/2/karta.jpg)",
        "[Läs rapporten om vatten](/rapporter/vatten) och [ladda ner den som PDF](/media/3/r.pdf).",
        "[Om oss](/om-oss) och [Om oss](/om-oss/) leder till samma sida.",
        "| Kommun | Land |\n|---|---|\n| Sundsvall | Sverige |",
        "Skriv till <info@example.se>.",
        "Förkortningar som SKL, EU och FN är bra. SALAR ALSO OK.",
        "```\nKOD I VERSALER ÄR INTE TEXT\n```",
        "`![]` i kod är inte en bild.",
        "[![Logotypen för Millenniekommun](/media/4/logo.png)](/millenniekommun)",
        "",
    ];
    for body in good {
        assert_eq!(found(body), [], "for {body:?}");
    }
}

#[test]
fn the_library_supplies_alt_texts_and_decorative_images() {
    let embedded = |id, alt: &str, decorative| Embedded {
        id: MediaId(id),
        media_type: MediaType::Jpeg,
        file_name: "x.jpg".to_owned(),
        byte_size: 1,
        width: Some(1),
        height: Some(1),
        alt_sv: alt.to_owned(),
        alt_en: String::new(),
        decorative,
        variants: Vec::new(),
    };
    let library = Library(HashMap::from([
        (
            MediaId(1),
            embedded(1, "Barn i en skolklass i Kenya", false),
        ),
        (MediaId(2), embedded(2, "", true)),
        (MediaId(3), embedded(3, "DSC01234.JPG", false)),
        (MediaId(4), embedded(4, "", false)),
    ]));
    let findings = |body| {
        check(body, Lang::En, &library)
            .into_iter()
            .map(|finding| finding.rule)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        findings("![](/media/1/x.jpg)"),
        [],
        "the Swedish text serves English pages"
    );
    assert_eq!(findings("![](/media/2/x.jpg)"), [], "decorative");
    assert_eq!(findings("![](/media/3/x.jpg)"), [Rule::FileNameAsAlt]);
    assert_eq!(findings("![](/media/4/x.jpg)"), [Rule::ImageWithoutAlt]);
    assert_eq!(
        findings("![](/media/5/x.jpg)"),
        [Rule::ImageWithoutAlt],
        "not in the library"
    );
}

#[test]
fn findings_come_in_the_order_of_the_text() {
    let body = "# Ett\n\n[här](/a)\n\n#### Fyra\n\n![](/b.png)";
    assert_eq!(
        rules(body),
        [
            Rule::HeadingLevelOne,
            Rule::VagueLinkText,
            Rule::SkippedHeadingLevel,
            Rule::ImageWithoutAlt
        ]
    );
    assert!(has_errors(&check(body, Lang::Sv, &Library::default())));
    assert!(!has_errors(&check(
        "[här](/a)",
        Lang::Sv,
        &Library::default()
    )));
}

#[test]
fn line_numbers_count_from_one() {
    let lines = Lines::of("a\nb\n\nc");
    assert_eq!(
        (lines.at(0), lines.at(2), lines.at(4), lines.at(5)),
        (1, 2, 3, 4)
    );
}
