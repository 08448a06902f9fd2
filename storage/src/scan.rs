//! How a scan walks stored records, shared by every backend so that they
//! agree on its bounds, on where it stops and on how a bad record is
//! reported.

use std::ops::ControlFlow;

use crate::record::RecordView;
use crate::LogError;

/// Parses the record stored at `position`; a record that does not parse is
/// corrupt there.
pub(crate) fn parse_at(position: u64, bytes: &[u8]) -> Result<RecordView<'_>, LogError> {
    RecordView::parse(bytes).map_err(|e| LogError::Corrupt {
        position,
        detail: e.to_string(),
    })
}

/// Visits one run of stored records, in position order, for a scan of
/// (`after`, `last`]. Records at or before `after` are skipped, since a
/// backend may have to start reading before them (a chunk). Breaks past
/// `last`, when the visitor breaks, and on the first error; `visited` is
/// left at the last position visited.
pub(crate) fn visit_records<'a>(
    records: impl Iterator<Item = Result<(u64, &'a [u8]), LogError>>,
    after: u64,
    last: u64,
    visited: &mut u64,
    visit: &mut dyn FnMut(RecordView<'_>) -> ControlFlow<()>,
) -> Result<ControlFlow<()>, LogError> {
    for record in records {
        let (position, bytes) = record?;
        if position <= after {
            continue;
        }
        if position > last {
            return Ok(ControlFlow::Break(()));
        }
        let view = parse_at(position, bytes)?;
        *visited = position;
        if visit(view).is_break() {
            return Ok(ControlFlow::Break(()));
        }
    }
    Ok(ControlFlow::Continue(()))
}
