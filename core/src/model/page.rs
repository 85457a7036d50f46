//! Paging for every listing: offset and limit, the same for stores, services and shells.

use serde::{Deserialize, Serialize};

/// A page of a listing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Page {
    /// Records to skip.
    pub offset: u32,
    /// Most records to return.
    pub limit: u32,
}

impl Default for Page {
    fn default() -> Self {
        Page {
            offset: 0,
            limit: 50,
        }
    }
}
