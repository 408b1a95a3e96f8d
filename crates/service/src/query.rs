//! What the lists share: the page size and the slice a page number asks for.

use curricula_ports::Slice;

/// Records per page of an unfiltered list.
pub const PAGE_SIZE: usize = 50;

/// Page `page` (from 1) of [`PAGE_SIZE`] rows.
pub fn slice(page: usize) -> Slice {
    Slice::page(u64::try_from(page).unwrap_or(u64::MAX), PAGE_SIZE as u64)
}
