//! The ids of the site's objects as types of their own, so that a page's id cannot be passed where a
//! file's or an account's is meant. Each is the row id the database gives, stored and bound as an
//! integer, written as one in addresses and forms.

macro_rules! id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, sqlx::Type,
            serde::Serialize, serde::Deserialize,
        )]
        #[sqlx(transparent)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }

        impl std::str::FromStr for $name {
            type Err = std::num::ParseIntError;

            fn from_str(text: &str) -> Result<Self, Self::Err> {
                text.parse().map($name)
            }
        }

        impl rusqlite::types::FromSql for $name {
            fn column_result(
                value: rusqlite::types::ValueRef<'_>,
            ) -> rusqlite::types::FromSqlResult<Self> {
                value.as_i64().map($name)
            }
        }

        impl rusqlite::types::ToSql for $name {
            fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
                Ok(rusqlite::types::ToSqlOutput::from(self.0))
            }
        }
    };
}

id! {
    /// A page (`pages.id`).
    PageId
}

id! {
    /// A file of the media library (`media.id`).
    MediaId
}

id! {
    /// An account (`users.id`).
    UserId
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_reads_and_shows_as_its_number() {
        let id: PageId =
            serde_urlencoded::from_str::<Vec<(String, PageId)>>("id=42").expect("a number")[0].1;
        assert_eq!(id, PageId(42));
        assert_eq!(id.to_string(), "42");
        assert!(serde_urlencoded::from_str::<Vec<(String, PageId)>>("id=tre").is_err());
    }
}
