//! Paged listings with totals (`{"total", "page", "limit", "data"}`) and the visibility rules of
//! the records they list.
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
use crate::store::{OrderFilter, Page, Store};
use crate::user::{Role, User, UserStatus};

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

/// Whether `viewer` may read the account `user_id`: their own, or any as an admin.
pub fn can_view_user(viewer: &User, user_id: UserId) -> bool {
    viewer.is_active() && (viewer.id == user_id || viewer.has_role(Role::Admin))
}

/// Whether `viewer` (`None` for a guest) may read `order`. A customer's order is theirs and the
/// admins'; a guest order has no owner to check, so its unguessable id is the permission, as for
/// guest carts.
pub fn can_view_order(viewer: Option<&User>, order: &Order) -> bool {
    match order.customer_id {
        None => true,
        Some(owner) => {
            viewer.is_some_and(|v| v.is_active() && (v.id == owner || v.has_role(Role::Admin)))
        }
    }
}

/// Users, oldest first, optionally only those with `status` (deleted accounts count as
/// inactive). Admins only.
pub async fn list_users(
    store: &Arc<dyn Store>,
    admin: &User,
    status: Option<UserStatus>,
    request: PageRequest,
) -> Result<Paged<User>> {
    admin.require_any_role(&[Role::Admin], "list users")?;
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

/// Orders, newest first: the viewer's own, or everyone's (optionally one customer's) for an admin.
pub async fn list_orders(
    store: &Arc<dyn Store>,
    viewer: &User,
    customer: Option<UserId>,
    status: Option<OrderStatus>,
    request: PageRequest,
) -> Result<Paged<Order>> {
    if !viewer.is_active() {
        return Err(Error::AccountInactive);
    }
    let customer_id = if viewer.has_role(Role::Admin) {
        customer
    } else {
        match customer {
            Some(other) if other != viewer.id => {
                return Err(Error::Forbidden {
                    action: "list other customers' orders".into(),
                })
            }
            _ => Some(viewer.id),
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

/// Whether `viewer` may see `product`: shoppers see active products only, admins every status.
pub fn can_view_product(viewer: Option<&User>, product: &crate::catalog::Product) -> bool {
    product.status == crate::catalog::ProductStatus::Active || viewer.is_some_and(is_admin)
}

/// The product status a catalog listing may show `viewer`: whatever an admin asks for (any when
/// `None`), and always `active` for everyone else.
pub fn listable_status(
    viewer: Option<&User>,
    requested: Option<crate::catalog::ProductStatus>,
) -> Option<crate::catalog::ProductStatus> {
    if viewer.is_some_and(is_admin) {
        requested
    } else {
        Some(crate::catalog::ProductStatus::Active)
    }
}

fn is_admin(user: &User) -> bool {
    user.is_active() && user.has_role(Role::Admin)
}

/// Hidden reviews are shown only to moderators and admins; asking for them otherwise is refused.
pub fn check_hidden_reviews_access(viewer: Option<&User>, include_hidden: bool) -> Result<()> {
    if !include_hidden {
        return Ok(());
    }
    match viewer {
        Some(user) => user.require_any_role(&[Role::Moderator, Role::Admin], "see hidden reviews"),
        None => Err(Error::Forbidden {
            action: "see hidden reviews".into(),
        }),
    }
}
