//! Paged listings with totals (`{"total", "page", "limit", "data"}`) of the records a principal
//! may list (the visibility rules themselves are [`Principal`]'s).
//!
//! The store traits page with offset and limit but do not count; the counts here come from walking
//! the store's pages, which is exact on every backend and cheap at the sizes an admin screen or an
//! order history has. A backend that needs faster counts can add a counting method to its trait
//! later without changing this contract.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::ids::UserId;
use crate::order::{Order, OrderStatus};
use crate::principal::Principal;
use crate::store::{OrderFilter, Page, Store};
use crate::user::{User, UserStatus};

/// Most records per page.
pub const MAX_LIMIT: u32 = 100;
/// Records fetched per store call while counting.
const SCAN_CHUNK: u32 = 500;

/// A 1-based page number and a page size, as the API takes them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PageRequest {
    /// 1-based page number.
    pub page: u32,
    /// Records per page, 1 to [`MAX_LIMIT`].
    pub limit: u32,
}

impl PageRequest {
    /// Checks the numbers; `None` takes page 1 and 20 per page.
    pub fn new(page: Option<u32>, limit: Option<u32>) -> Result<PageRequest> {
        let page = page.unwrap_or(1);
        let limit = limit.unwrap_or(20);
        if page == 0 {
            return Err(Error::validation("page", "page starts at 1"));
        }
        if limit == 0 || limit > MAX_LIMIT {
            return Err(Error::validation(
                "limit",
                format!("limit must be between 1 and {MAX_LIMIT}"),
            ));
        }
        Ok(PageRequest { page, limit })
    }

    /// The store page (offset and limit); `None` when the offset would not fit.
    pub fn to_page(self) -> Result<Page> {
        let offset = (self.page - 1)
            .checked_mul(self.limit)
            .ok_or_else(|| Error::validation("page", "page is too large"))?;
        Ok(Page {
            offset,
            limit: self.limit,
        })
    }
}

/// One page of a listing and the total number of matches.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Paged<T> {
    /// Matches over all pages.
    pub total: u64,
    /// This page's number (1-based).
    pub page: u32,
    /// The page size.
    pub limit: u32,
    /// This page.
    pub data: Vec<T>,
}

fn paginate<T>(all: Vec<T>, request: PageRequest) -> Result<Paged<T>> {
    let page = request.to_page()?;
    let total = all.len() as u64;
    let data = all
        .into_iter()
        .skip(page.offset as usize)
        .take(page.limit as usize)
        .collect();
    Ok(Paged {
        total,
        page: request.page,
        limit: request.limit,
        data,
    })
}

/// Users, oldest first, optionally only those with `status` (deleted accounts count as
/// inactive). Admins only.
pub async fn list_users(
    store: &Arc<dyn Store>,
    principal: &Principal,
    status: Option<UserStatus>,
    request: PageRequest,
) -> Result<Paged<User>> {
    principal.require_admin("list users")?;
    let mut all = Vec::new();
    let mut offset = 0;
    loop {
        let chunk = store
            .list_users(Page {
                offset,
                limit: SCAN_CHUNK,
            })
            .await?;
        let n = chunk.len() as u32;
        all.extend(chunk.into_iter().filter(|u| match status {
            None => true,
            Some(UserStatus::Active) => u.is_active(),
            Some(_) => !u.is_active(),
        }));
        if n < SCAN_CHUNK {
            break;
        }
        offset += n;
    }
    paginate(all, request)
}

/// Orders, newest first: the principal's own, or everyone's (optionally one customer's) for an
/// admin. A guest has no order history to list.
pub async fn list_orders(
    store: &Arc<dyn Store>,
    principal: &Principal,
    customer: Option<UserId>,
    status: Option<OrderStatus>,
    request: PageRequest,
) -> Result<Paged<Order>> {
    let customer_id = if principal.is_admin() {
        customer
    } else {
        let own = match principal.user() {
            Some(user) if !user.is_active() => return Err(Error::AccountInactive),
            Some(user) => user.id,
            None => {
                return Err(Error::Forbidden {
                    action: "list orders without signing in".into(),
                })
            }
        };
        match customer {
            Some(other) if other != own => {
                return Err(Error::Forbidden {
                    action: "list other customers' orders".into(),
                })
            }
            _ => Some(own),
        }
    };
    let mut all = Vec::new();
    let mut offset = 0;
    loop {
        let chunk = store
            .list_orders(&OrderFilter {
                customer_id,
                status,
                page: Page {
                    offset,
                    limit: SCAN_CHUNK,
                },
            })
            .await?;
        let n = chunk.len() as u32;
        all.extend(chunk);
        if n < SCAN_CHUNK {
            break;
        }
        offset += n;
    }
    paginate(all, request)
}
