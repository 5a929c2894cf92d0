//! What a unit of work can answer besides its result, in the service's own words. The API
//! (`error::Error`) and the pages map it to HTTP at the edge; the CLI prints it.

use crate::domain::FieldErrors;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Who is calling is not known (a missing, wrong or revoked token or session).
    #[error("{0}")]
    Unauthorized(String),
    /// Known, but not allowed to do this.
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    /// Allowed, but the request's current state refuses it.
    #[error("{message}")]
    Conflict { message: String, fields: FieldErrors },
    #[error("invalid input: {0}")]
    Validation(FieldErrors),
    /// The database is out of reach.
    #[error("service unavailable: {0}")]
    Unavailable(String),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl Error {
    pub fn validation(field: &str, problem: impl Into<String>) -> Self {
        Self::Validation(FieldErrors::single(field, problem))
    }

    pub fn not_found(what: impl std::fmt::Display) -> Self {
        Self::NotFound(format!("{what} not found"))
    }
}

impl From<diesel::result::Error> for Error {
    fn from(e: diesel::result::Error) -> Self {
        match e {
            diesel::result::Error::NotFound => Self::NotFound("not found".into()),
            // Writers queued past the wait (SQLite's busy_timeout or the process's write turn):
            // overload, answered 503 with Retry-After, not an internal error.
            diesel::result::Error::DatabaseError(_, info) if info.message().starts_with(crate::db::LOCKED) => {
                Self::Unavailable(format!("writes are queued past their wait: {}", info.message()))
            }
            // The server went away under the connection (a restart, a proxy's timeout).
            diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::ClosedConnection, info) => {
                Self::Unavailable(format!("the database connection closed: {}", info.message()))
            }
            other => Self::Internal(anyhow::Error::new(other).context("database query")),
        }
    }
}

impl From<diesel::r2d2::PoolError> for Error {
    fn from(e: diesel::r2d2::PoolError) -> Self {
        Self::Unavailable(format!("no database connection: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_writer_that_waited_too_long_or_a_closed_connection_is_unavailable_and_other_database_errors_internal() {
        let db_error = |message: &str| {
            diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::Unknown,
                Box::new(message.to_owned()),
            )
        };
        assert!(matches!(Error::from(db_error("database is locked")), Error::Unavailable(_)));
        let closed = diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::ClosedConnection,
            Box::new("server closed the connection unexpectedly".to_owned()),
        );
        assert!(matches!(Error::from(closed), Error::Unavailable(_)));
        assert!(matches!(Error::from(db_error("no such table: requests")), Error::Internal(_)));
    }
}
