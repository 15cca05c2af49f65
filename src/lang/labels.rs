//! The names people read for the values of every vocabulary in [`crate::vocab`], in both languages.
//!
//! The admin area is Swedish, so most of these are read in Swedish today; the English names are here
//! so that a screen, a report or the command line can show any of them in either language.

use super::Lang;
use crate::vocab::{AuditAction, Done, Kind, ObjectType, RevisionKind, Role, Standing, Status};

/// A value that people read by a name in their language.
pub trait Label: Copy {
    /// The name of this value in `lang`.
    fn label(self, lang: Lang) -> &'static str;

    /// The name in Swedish, the admin area's language.
    fn swedish(self) -> &'static str {
        self.label(Lang::Sv)
    }
}

/// Picks the Swedish or the English name.
fn pick(lang: Lang, swedish: &'static str, english: &'static str) -> &'static str {
    match lang {
        Lang::Sv => swedish,
        Lang::En => english,
    }
}

impl Label for Kind {
    fn label(self, lang: Lang) -> &'static str {
        match self {
            Kind::Page => pick(lang, "Sida", "Page"),
            Kind::News => pick(lang, "Nyhet", "News item"),
        }
    }
}

impl Label for Status {
    fn label(self, lang: Lang) -> &'static str {
        match self {
            Status::Draft => pick(lang, "Utkast", "Draft"),
            Status::Published => pick(lang, "Publicerad", "Published"),
        }
    }
}

impl Label for Standing {
    fn label(self, lang: Lang) -> &'static str {
        match self {
            Standing::Draft => pick(lang, "Utkast", "Draft"),
            Standing::Published => pick(lang, "Publicerad", "Published"),
            Standing::Scheduled => pick(lang, "Schemalagd", "Scheduled"),
        }
    }
}

impl Label for Role {
    fn label(self, lang: Lang) -> &'static str {
        match self {
            Role::Editor => pick(lang, "Redaktör", "Editor"),
            Role::Admin => pick(lang, "Administratör", "Administrator"),
        }
    }
}

impl Label for ObjectType {
    fn label(self, lang: Lang) -> &'static str {
        match self {
            ObjectType::Page => pick(lang, "sida", "page"),
            ObjectType::User => pick(lang, "konto", "account"),
            ObjectType::Session => pick(lang, "inloggning", "session"),
            ObjectType::Media => pick(lang, "fil", "file"),
        }
    }
}

impl Label for AuditAction {
    fn label(self, lang: Lang) -> &'static str {
        use AuditAction as A;
        match self {
            A::Login => pick(lang, "Inloggning", "Login"),
            A::Logout => pick(lang, "Utloggning", "Logout"),
            A::LoginFailed => pick(lang, "Misslyckad inloggning", "Failed login"),
            A::LoginThrottled => pick(lang, "Inloggning spärrad", "Login throttled"),
            A::Create => pick(lang, "Sida skapad", "Page created"),
            A::Update => pick(lang, "Sida sparad", "Page saved"),
            A::Publish => pick(lang, "Sida publicerad", "Page published"),
            A::Schedule => pick(lang, "Sida schemalagd", "Page scheduled"),
            A::Unpublish => pick(lang, "Sida avpublicerad", "Page unpublished"),
            A::Trash => pick(lang, "Sida i papperskorgen", "Page trashed"),
            A::Restore => pick(lang, "Sida återställd", "Page restored"),
            A::Delete => pick(lang, "Sida raderad", "Page deleted"),
            A::RevisionRestore => pick(lang, "Version återställd", "Revision restored"),
            A::Conflict => pick(lang, "Krock mellan ändringar", "Conflicting edit"),
            A::UserCreate => pick(lang, "Konto skapat", "Account created"),
            A::UserRole => pick(lang, "Roll ändrad", "Role changed"),
            A::UserDisable => pick(lang, "Konto avstängt", "Account disabled"),
            A::UserEnable => pick(lang, "Konto aktiverat", "Account enabled"),
            A::UserPassword => pick(lang, "Lösenord bytt", "Password changed"),
            A::UserDelete => pick(lang, "Konto borttaget", "Account deleted"),
            A::MediaUpload => pick(lang, "Fil uppladdad", "File uploaded"),
            A::MediaUpdate => pick(lang, "Filens text ändrad", "File's text changed"),
            A::MediaReplace => pick(lang, "Fil ersatt", "File replaced"),
            A::MediaDelete => pick(lang, "Fil raderad", "File deleted"),
            A::TwoFactorOn => pick(
                lang,
                "Tvåstegsverifiering påslagen",
                "Two-factor login turned on",
            ),
            A::TwoFactorOff => pick(
                lang,
                "Tvåstegsverifiering avstängd",
                "Two-factor login turned off",
            ),
            A::RecoveryCodes => pick(lang, "Nya reservkoder", "New recovery codes"),
            A::Reviewed => pick(lang, "Granskad", "Reviewed"),
        }
    }
}

impl Label for RevisionKind {
    /// The name, with `{}` where [`RevisionKind::describe`] puts the revision's note.
    fn label(self, lang: Lang) -> &'static str {
        match self {
            RevisionKind::Created => pick(lang, "skapad", "created"),
            RevisionKind::Saved => pick(lang, "sparad", "saved"),
            RevisionKind::Imported => pick(lang, "importerad från {}", "imported from {}"),
            RevisionKind::Moved => pick(lang, "flyttad från {}", "moved from {}"),
            RevisionKind::Restored => pick(
                lang,
                "återställd från version {}",
                "restored from version {}",
            ),
            RevisionKind::Conflict => pick(
                lang,
                "ej sparad: krockade med en annan ändring",
                "not saved: conflicted with another edit",
            ),
        }
    }
}

impl RevisionKind {
    /// What a revision of this kind with `note` was, in `lang`: "återställd från version 3".
    pub fn describe(self, note: &str, lang: Lang) -> String {
        self.label(lang).replace("{}", note)
    }
}

impl Label for Done {
    /// The sentence that confirms it.
    fn label(self, lang: Lang) -> &'static str {
        match self {
            Done::Saved => pick(lang, "Sidan är sparad.", "The page is saved."),
            Done::Published => pick(lang, "Sidan är publicerad.", "The page is published."),
            Done::Scheduled => pick(
                lang,
                "Sidan är schemalagd och publiceras vid den tid du angav.",
                "The page is scheduled and will be published at the time you chose.",
            ),
            Done::Draft => pick(
                lang,
                "Sidan är sparad som utkast. Den syns inte på webbplatsen.",
                "The page is saved as a draft. Visitors do not see it.",
            ),
            Done::Unpublished => pick(
                lang,
                "Sidan är avpublicerad och syns inte längre på webbplatsen.",
                "The page is unpublished and no longer on the website.",
            ),
            Done::Trashed => pick(
                lang,
                "Sidan ligger nu i papperskorgen. Du kan återställa den därifrån.",
                "The page is in the trash now. You can restore it from there.",
            ),
            Done::Untrashed => pick(
                lang,
                "Sidan är återställd från papperskorgen.",
                "The page is restored from the trash.",
            ),
            Done::Deleted => pick(
                lang,
                "Sidan är raderad för gott.",
                "The page is deleted for good.",
            ),
            Done::VersionRestored => pick(
                lang,
                "Den äldre versionen är återställd som en ny version. Inget skrevs över.",
                "The older version is restored as a new version. Nothing was overwritten.",
            ),
            Done::LoggedIn => pick(lang, "Du är inloggad.", "You are logged in."),
            Done::LoggedOut => pick(lang, "Du är utloggad.", "You are logged out."),
            Done::AccountSaved => pick(lang, "Kontot är sparat.", "The account is saved."),
            Done::OwnPasswordChanged => pick(
                lang,
                "Lösenordet är bytt. Andra inloggningar med ditt konto är avslutade.",
                "Your password is changed. Other sessions of your account have ended.",
            ),
            Done::PasswordSet => pick(
                lang,
                "Det nya lösenordet är sparat och kontots inloggningar är avslutade. Ge lösenordet till personen på ett säkert sätt.",
                "The new password is saved and the account's sessions have ended. Give the password to its owner safely.",
            ),
            Done::Uploaded => pick(lang, "Filen är uppladdad.", "The file is uploaded."),
            Done::AlreadyUploaded => pick(
                lang,
                "Filen fanns redan i biblioteket, så den sparades inte två gånger. Här är den.",
                "The file was already in the library, so it was not stored twice. Here it is.",
            ),
            Done::MediaSaved => pick(
                lang,
                "Filens texter är sparade.",
                "The file's texts are saved.",
            ),
            Done::Replaced => pick(
                lang,
                "Filen är ersatt. Sidorna som visade den visar nu den nya, och den gamla adressen leder hit.",
                "The file is replaced. Pages that showed it now show the new one, and its old address leads here.",
            ),
            Done::MediaDeleted => pick(lang, "Filen är raderad.", "The file is deleted."),
            Done::TwoFactorOff => pick(
                lang,
                "Tvåstegsverifiering är avstängd. Du loggar in med bara lösenordet.",
                "Two-factor login is off. You log in with your password alone.",
            ),
            Done::TwoFactorReset => pick(
                lang,
                "Kontots tvåstegsverifiering är avstängd. Personen kan slå på den igen under Mitt konto.",
                "The account's two-factor login is off. Its owner can turn it on again under My account.",
            ),
            Done::Reviewed => pick(
                lang,
                "Sidan är markerad som granskad i dag.",
                "The page is marked as reviewed today.",
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn every_label<T: Label>(all: &[T]) -> Vec<&'static str> {
        all.iter()
            .flat_map(|value| [value.label(Lang::Sv), value.label(Lang::En)])
            .collect()
    }

    #[test]
    fn every_value_has_a_distinct_name_in_each_language() {
        for labels in [
            every_label(Kind::ALL),
            every_label(Status::ALL),
            every_label(Role::ALL),
            every_label(ObjectType::ALL),
            every_label(AuditAction::ALL),
            every_label(RevisionKind::ALL),
            every_label(Done::ALL),
        ] {
            let (swedish, english): (Vec<_>, Vec<_>) =
                labels.chunks(2).map(|pair| (pair[0], pair[1])).unzip();
            for names in [&swedish, &english] {
                let unique: std::collections::HashSet<_> = names.iter().collect();
                assert_eq!(
                    unique.len(),
                    names.len(),
                    "two values share a name: {names:?}"
                );
                assert!(names.iter().all(|name| !name.trim().is_empty()));
            }
        }
    }

    #[test]
    fn revision_notes_fill_their_kinds_sentence() {
        assert_eq!(
            RevisionKind::Restored.describe("3", Lang::Sv),
            "återställd från version 3"
        );
        assert_eq!(
            RevisionKind::Moved.describe("/om-oss", Lang::En),
            "moved from /om-oss"
        );
        assert_eq!(RevisionKind::Saved.describe("", Lang::Sv), "sparad");
    }
}
