//! `[attachments]`: how big files may be, how many, and which kinds (checked by content).

use serde::Deserialize;

use crate::domain::FieldErrors;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AttachmentSettings {
    /// Largest file, in bytes.
    pub max_file_bytes: u64,
    /// Largest total of one upload (a request's or a comment's files), in bytes.
    pub max_upload_bytes: u64,
    /// Most files in one upload.
    pub max_files: usize,
    /// Bytes per stored chunk (each written in its own short transaction).
    pub chunk_bytes: usize,
    /// Kinds accepted, by the MIME type their content shows (never by name).
    pub allowed_types: Vec<String>,
    /// Staged files not attached after this long are removed.
    pub staged_minutes: i64,
}

impl Default for AttachmentSettings {
    fn default() -> Self {
        Self {
            max_file_bytes: 20 * 1024 * 1024,
            max_upload_bytes: 100 * 1024 * 1024,
            max_files: 20,
            chunk_bytes: 256 * 1024,
            allowed_types: DEFAULT_TYPES.iter().map(|t| (*t).to_owned()).collect(),
            staged_minutes: 60,
        }
    }
}

/// Images, PDF, office documents, text, CSV and zip.
pub const DEFAULT_TYPES: [&str; 19] = [
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/webp",
    "image/svg+xml",
    "application/pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "application/vnd.oasis.opendocument.text",
    "application/vnd.oasis.opendocument.spreadsheet",
    "application/vnd.oasis.opendocument.presentation",
    "application/msword",
    "application/vnd.ms-excel",
    "application/vnd.ms-powerpoint",
    "application/rtf",
    "text/plain",
    "text/csv",
    "application/zip",
];

impl AttachmentSettings {
    pub fn check(&self, errors: &mut FieldErrors) {
        if self.max_file_bytes == 0 || self.max_upload_bytes < self.max_file_bytes {
            errors.add("attachments.max_upload_bytes", "must be at least max_file_bytes, which must be above 0");
        }
        if !(4096..=4 * 1024 * 1024).contains(&self.chunk_bytes) {
            errors.add("attachments.chunk_bytes", "must be from 4096 to 4194304");
        }
        if self.max_files == 0 {
            errors.add("attachments.max_files", "must be at least 1");
        }
        if self.staged_minutes < 1 {
            errors.add("attachments.staged_minutes", "must be at least 1");
        }
    }
}
