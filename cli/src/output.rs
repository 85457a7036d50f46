//! Printing results: readable tables by default, the core's JSON wire types with `--json`.

use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{ContentArrangement, Table};
use merx_core::store::Page;
use serde::Serialize;

use crate::error::{CliError, Result};

/// A table with the CLI's look and the given header.
pub fn table(header: &[&str]) -> Table {
    let mut table = Table::new();
    table
        .load_preset(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_header(header.to_vec());
    table
}

/// Pretty JSON of `value`.
pub fn to_json<T: Serialize + ?Sized>(value: &T) -> Result<String> {
    serde_json::to_string_pretty(value)
        .map_err(|e| CliError::Runtime(format!("cannot write JSON: {e}")))
}

/// Prints `value` as pretty JSON on stdout.
pub fn print_json<T: Serialize + ?Sized>(value: &T) -> Result<()> {
    println!("{}", to_json(value)?);
    Ok(())
}

/// What `--json` prints for a listing: one window and how many records match in all.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Listing<T> {
    /// Records matching the filters, over all windows.
    pub total: u64,
    /// Records skipped before this window.
    pub offset: u32,
    /// The window's size.
    pub limit: u32,
    /// This window.
    pub data: Vec<T>,
}

/// Records fetched per store call while counting a listing.
const COUNT_CHUNK: u32 = 1000;

impl<T> Listing<T> {
    /// The window `data` read at `page` with `fetch` (the store's filtered listing), and the
    /// total. The store traits page but do not count, so the total is known without another
    /// query only when this window is the last one; otherwise it comes from walking the
    /// listing in large chunks with the same filters, which is exact on every backend.
    pub async fn counted<F, Fut>(data: Vec<T>, page: Page, mut fetch: F) -> Result<Listing<T>>
    where
        F: FnMut(Page) -> Fut,
        Fut: std::future::Future<Output = Result<usize>>,
    {
        let shown = data.len() as u32;
        let last_window = shown < page.limit && (shown > 0 || page.offset == 0);
        let total = if last_window {
            u64::from(page.offset) + u64::from(shown)
        } else {
            let mut total = 0u64;
            let mut offset = 0u32;
            loop {
                let n = fetch(Page {
                    offset,
                    limit: COUNT_CHUNK,
                })
                .await?;
                total += n as u64;
                if (n as u32) < COUNT_CHUNK {
                    break total;
                }
                offset = offset.saturating_add(COUNT_CHUNK);
            }
        };
        Ok(Listing {
            total,
            offset: page.offset,
            limit: page.limit,
            data,
        })
    }

    /// Prints the listing: JSON with the totals on stdout, or the table `table` makes and then
    /// "showing N of M" on stderr, so a pipe reading the table sees only the table.
    pub fn print(&self, json: bool, table: impl FnOnce(&[T])) -> Result<()>
    where
        T: Serialize,
    {
        if json {
            return print_json(self);
        }
        table(&self.data);
        eprintln!(
            "{}",
            showing(
                self.data.len(),
                self.total,
                self.offset,
                "(--limit, --page)"
            )
        );
        Ok(())
    }
}

/// "showing 50 of 307 (--limit, --page)": how much of a listing a window shows, with how to see
/// the rest when there is more.
pub fn showing(shown: usize, total: u64, offset: u32, more: &str) -> String {
    let mut line = if offset > 0 && shown > 0 {
        let first = u64::from(offset) + 1;
        format!("showing {first}-{} of {total}", first + shown as u64 - 1)
    } else {
        format!("showing {shown} of {total}")
    };
    if (shown as u64) < total {
        line.push(' ');
        line.push_str(more);
    }
    line
}
