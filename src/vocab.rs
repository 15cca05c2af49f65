//! The site's vocabularies: every closed set of names that is stored in the database, sent in an
//! address or matched on, as a type.
//!
//! Each value has a stable identifier, which is what the database, the audit log and addresses hold;
//! renaming a variant never changes it. What people read is a label, and every label of every
//! vocabulary is in [`crate::lang`], in Swedish and English, so that a list of choices (the audit
//! log's filter, say) is built from [`ALL`](AuditAction::ALL) and can never offer a name that no
//! code writes.

/// Declares a vocabulary: an enum whose variants carry their stable identifiers, with `ALL`, `id`
/// and `from_id`. The identifiers are also what sqlx reads and writes, and what rusqlite reads.
macro_rules! vocabulary {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$variant_meta:meta])* $variant:ident = $id:literal, )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, sqlx::Type)]
        #[sqlx(type_name = "text")]
        pub enum $name {
            $( $(#[$variant_meta])* #[sqlx(rename = $id)] $variant, )+
        }

        impl $name {
            /// Every value, in the order they are declared (the order lists show them in).
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stable identifier, as stored and sent in addresses.
            pub fn id(self) -> &'static str {
                match self {
                    $($name::$variant => $id,)+
                }
            }

            /// The value with identifier `id`, if there is one.
            pub fn from_id(id: &str) -> Option<$name> {
                match id {
                    $($id => Some($name::$variant),)+
                    _ => None,
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.id())
            }
        }

        impl rusqlite::types::FromSql for $name {
            fn column_result(
                value: rusqlite::types::ValueRef<'_>,
            ) -> rusqlite::types::FromSqlResult<Self> {
                $name::from_id(value.as_str()?).ok_or(rusqlite::types::FromSqlError::InvalidType)
            }
        }
    };
}

vocabulary! {
    /// What sort of page a row is. Front matter names it the same way (`kind = "news"`).
    #[derive(Default, serde::Serialize, serde::Deserialize)]
    #[serde(rename_all = "lowercase")]
    pub enum Kind {
        /// An ordinary page, placed in the tree by its path and parent.
        #[default]
        Page = "page",
        /// A dated news item: listed on the news page and in the feeds, newest first.
        News = "news",
    }
}

impl Kind {
    pub fn is_page(&self) -> bool {
        *self == Kind::Page
    }
}

vocabulary! {
    /// Whether editors have released a page to visitors.
    pub enum Status {
        Draft = "draft",
        Published = "published",
    }
}

vocabulary! {
    /// Where a page stands for visitors, as the editors' list filters it: a published page whose
    /// publish time is still to come is scheduled.
    pub enum Standing {
        Draft = "draft",
        Published = "published",
        Scheduled = "scheduled",
    }
}

vocabulary! {
    /// What an account may do.
    pub enum Role {
        /// Pages and media.
        Editor = "editor",
        /// Everything, accounts included.
        Admin = "admin",
    }
}

vocabulary! {
    /// What the audit log records.
    pub enum AuditAction {
        Login = "login",
        Logout = "logout",
        LoginFailed = "login_failed",
        LoginThrottled = "login_throttled",
        Create = "create",
        Update = "update",
        Publish = "publish",
        Schedule = "schedule",
        Unpublish = "unpublish",
        Trash = "trash",
        Restore = "restore",
        Delete = "delete",
        RevisionRestore = "revision_restore",
        Conflict = "conflict",
        UserCreate = "user_create",
        UserRole = "user_role",
        UserDisable = "user_disable",
        UserEnable = "user_enable",
        UserPassword = "user_password",
        UserDelete = "user_delete",
        MediaUpload = "media_upload",
        MediaUpdate = "media_update",
        MediaReplace = "media_replace",
        MediaDelete = "media_delete",
        TwoFactorOn = "two_factor_on",
        TwoFactorOff = "two_factor_off",
        RecoveryCodes = "recovery_codes",
        Reviewed = "reviewed",
    }
}

vocabulary! {
    /// What an audit entry is about.
    pub enum ObjectType {
        Page = "page",
        User = "user",
        Session = "session",
        Media = "media",
    }
}

vocabulary! {
    /// Why a revision exists. Its `note` column holds the one detail some kinds name: the version a
    /// restore came from, the file an import read, the path a move left, the version a conflict was
    /// based on.
    pub enum RevisionKind {
        /// The first version of a page made in the admin area.
        Created = "created",
        /// An editor's save.
        Saved = "saved",
        /// Written by an import; `note` is the file.
        Imported = "imported",
        /// Moved along with its parent; `note` is the old path.
        Moved = "moved",
        /// An older version restored; `note` is its version number.
        Restored = "restored",
        /// A save that lost a race and was kept, not applied; `note` is the version it was based on.
        Conflict = "conflict",
    }
}

vocabulary! {
    /// What was just done, named by a redirect's `?klart=` so that the next screen confirms it. The
    /// identifiers are Swedish words because editors see them in the address bar.
    pub enum Done {
        Saved = "sparad",
        Published = "publicerad",
        Scheduled = "schemalagd",
        Draft = "utkast",
        Unpublished = "avpublicerad",
        Trashed = "papperskorg",
        Untrashed = "aterstalld",
        Deleted = "raderad",
        VersionRestored = "version",
        LoggedIn = "inloggad",
        LoggedOut = "utloggad",
        AccountSaved = "anvandare",
        OwnPasswordChanged = "losenord",
        PasswordSet = "losenord-satt",
        Uploaded = "uppladdad",
        AlreadyUploaded = "fanns-redan",
        MediaSaved = "fil-sparad",
        Replaced = "ersatt",
        MediaDeleted = "fil-raderad",
        TwoFactorOff = "tvastegs-av",
        TwoFactorReset = "tvastegs-aterstalld",
        Reviewed = "granskad",
    }
}

impl Done {
    /// The audit action of a save that ended this way.
    pub fn audit_action(self) -> AuditAction {
        match self {
            Done::Published => AuditAction::Publish,
            Done::Scheduled => AuditAction::Schedule,
            Done::Unpublished => AuditAction::Unpublish,
            Done::Trashed => AuditAction::Trash,
            Done::Untrashed => AuditAction::Restore,
            Done::Deleted => AuditAction::Delete,
            Done::VersionRestored => AuditAction::RevisionRestore,
            Done::Uploaded => AuditAction::MediaUpload,
            Done::MediaSaved => AuditAction::MediaUpdate,
            Done::Replaced => AuditAction::MediaReplace,
            Done::MediaDeleted => AuditAction::MediaDelete,
            Done::TwoFactorOff | Done::TwoFactorReset => AuditAction::TwoFactorOff,
            Done::Reviewed => AuditAction::Reviewed,
            _ => AuditAction::Update,
        }
    }
}

vocabulary! {
    /// What sort of file an upload is, as its content (never its name) shows. Only these are taken.
    pub enum MediaType {
        Jpeg = "jpeg",
        Png = "png",
        Webp = "webp",
        Gif = "gif",
        Pdf = "pdf",
    }
}

impl MediaType {
    /// The `Content-Type` it is served with.
    pub fn mime(self) -> &'static str {
        match self {
            MediaType::Jpeg => "image/jpeg",
            MediaType::Png => "image/png",
            MediaType::Webp => "image/webp",
            MediaType::Gif => "image/gif",
            MediaType::Pdf => "application/pdf",
        }
    }

    /// The file name extension of its addresses, without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            MediaType::Jpeg => "jpg",
            MediaType::Png => "png",
            MediaType::Webp => "webp",
            MediaType::Gif => "gif",
            MediaType::Pdf => "pdf",
        }
    }

    /// The name people know the format by: "JPEG", "PDF".
    pub fn name(self) -> &'static str {
        match self {
            MediaType::Jpeg => "JPEG",
            MediaType::Png => "PNG",
            MediaType::Webp => "WebP",
            MediaType::Gif => "GIF",
            MediaType::Pdf => "PDF",
        }
    }

    pub fn is_image(self) -> bool {
        self != MediaType::Pdf
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trips<T: Copy + PartialEq + std::fmt::Debug>(
        all: &[T],
        id: fn(T) -> &'static str,
        from_id: fn(&str) -> Option<T>,
    ) {
        let mut seen = std::collections::HashSet::new();
        for &value in all {
            assert!(seen.insert(id(value)), "{} is used twice", id(value));
            assert_eq!(from_id(id(value)), Some(value));
        }
        assert_eq!(from_id("no such identifier"), None);
    }

    #[test]
    fn identifiers_are_unique_and_parse_back() {
        round_trips(Kind::ALL, Kind::id, Kind::from_id);
        round_trips(Status::ALL, Status::id, Status::from_id);
        round_trips(Role::ALL, Role::id, Role::from_id);
        round_trips(AuditAction::ALL, AuditAction::id, AuditAction::from_id);
        round_trips(ObjectType::ALL, ObjectType::id, ObjectType::from_id);
        round_trips(RevisionKind::ALL, RevisionKind::id, RevisionKind::from_id);
        round_trips(Done::ALL, Done::id, Done::from_id);
        round_trips(MediaType::ALL, MediaType::id, MediaType::from_id);
    }

    #[test]
    fn the_identifiers_already_stored_stay_the_same() {
        // Rows written by earlier versions hold these; a rename here would orphan them.
        assert_eq!(AuditAction::RevisionRestore.id(), "revision_restore");
        assert_eq!(AuditAction::LoginThrottled.id(), "login_throttled");
        assert_eq!(Kind::News.id(), "news");
        assert_eq!(Status::Published.id(), "published");
        assert_eq!(Role::Admin.id(), "admin");
        assert_eq!(Done::PasswordSet.id(), "losenord-satt");
    }
}
