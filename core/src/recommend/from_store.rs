//! Training data from a store: every non-cancelled order line of a signed-in customer becomes an
//! [`Interaction`], and the catalog says which products cannot be recommended right now. The
//! server and the CLI both train through [`train_from_store`], so they see the same model.

use std::collections::HashSet;

use rust_decimal::prelude::ToPrimitive;
use serde::{Deserialize, Serialize};

use super::{unavailable_products, Interaction};
use crate::ids::{ProductId, UserId};
use crate::model::order::{Order, OrderStatus};
use crate::store::{CatalogStore, OrderFilter, OrderStore, Page, ProductFilter, StorageResult};

/// The recommender the store trains: customers x products.
pub type StoreRecommender = super::Recommender<UserId, ProductId>;

/// How many records each listing call asks for.
const PAGE_SIZE: u32 = 500;

/// Interactions read from the orders, and what was read.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct OrderInteractions {
    /// One per usable order line.
    pub interactions: Vec<Interaction<UserId, ProductId>>,
    /// Orders that contributed at least one interaction.
    pub orders: usize,
}

/// The interactions of one order: none for a cancelled or guest order; one per line with a
/// positive quantity (weight = quantity, timestamp = the order's creation time in seconds).
pub fn order_interactions(order: &Order) -> Vec<Interaction<UserId, ProductId>> {
    let Some(customer) = order.customer_id else {
        return Vec::new();
    };
    if order.status == OrderStatus::Cancelled {
        return Vec::new();
    }
    let timestamp = order.created_at.timestamp();
    order
        .lines
        .iter()
        .filter_map(|line| {
            let weight = line.quantity.to_f32()?;
            (weight.is_finite() && weight > 0.0).then_some(Interaction {
                user: customer,
                item: line.product_id,
                weight,
                timestamp,
            })
        })
        .collect()
}

/// Every order of the store, page by page, as interactions.
pub async fn interactions_from_orders<S: OrderStore + ?Sized>(
    store: &S,
) -> StorageResult<OrderInteractions> {
    let mut out = OrderInteractions::default();
    let mut offset = 0u32;
    loop {
        let filter = OrderFilter {
            page: Page {
                offset,
                limit: PAGE_SIZE,
            },
            ..OrderFilter::default()
        };
        let orders = store.list_orders(&filter).await?;
        for order in &orders {
            let lines = order_interactions(order);
            if !lines.is_empty() {
                out.orders += 1;
                out.interactions.extend(lines);
            }
        }
        if orders.len() < PAGE_SIZE as usize {
            return Ok(out);
        }
        offset = offset.saturating_add(PAGE_SIZE);
    }
}

/// The products that must not be recommended now (not active, or none of their variants can sell
/// one unit), read page by page from the catalog.
pub async fn unavailable_from_catalog<S: CatalogStore + ?Sized>(
    store: &S,
) -> StorageResult<HashSet<ProductId>> {
    let mut out = HashSet::new();
    let mut offset = 0u32;
    loop {
        let filter = ProductFilter {
            page: Page {
                offset,
                limit: PAGE_SIZE,
            },
            ..ProductFilter::default()
        };
        let products = store.list_products(&filter).await?;
        out.extend(unavailable_products(&products));
        if products.len() < PAGE_SIZE as usize {
            return Ok(out);
        }
        offset = offset.saturating_add(PAGE_SIZE);
    }
}

/// What a training run read and produced.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct TrainingCounts {
    /// Orders that contributed.
    pub orders: usize,
    /// Order lines used.
    pub interactions: usize,
    /// Distinct customers.
    pub users: usize,
    /// Distinct products.
    pub products: usize,
}

/// A training run: the counts, and the model unless the store has no usable order yet.
#[derive(Clone, Debug)]
pub struct Trained {
    /// What was read.
    pub counts: TrainingCounts,
    /// The fitted recommender; `None` when there was nothing to fit.
    pub recommender: Option<StoreRecommender>,
}

/// Fits a recommender on the store's orders with `config`.
#[cfg(feature = "recommend-training")]
pub async fn train_from_store<S: OrderStore + ?Sized>(
    store: &S,
    config: super::RecommenderConfig,
) -> crate::error::Result<Trained> {
    let read = interactions_from_orders(store).await?;
    let mut counts = TrainingCounts {
        orders: read.orders,
        interactions: read.interactions.len(),
        ..TrainingCounts::default()
    };
    if read.interactions.is_empty() {
        return Ok(Trained {
            counts,
            recommender: None,
        });
    }
    let recommender = StoreRecommender::fit(&read.interactions, config)?;
    counts.users = recommender.users().len();
    counts.products = recommender.items().len();
    Ok(Trained {
        counts,
        recommender: Some(recommender),
    })
}

#[cfg(all(test, feature = "recommend-training"))]
mod tests {
    use chrono::{DateTime, Duration, Utc};
    use rust_decimal::Decimal;
    use rust_decimal_macros::dec;

    use super::*;
    use crate::catalog::{Product, ProductStatus, Variant};
    use crate::ids::{OrderId, OrderLineId};
    use crate::model::order::{
        Actor, FulfillmentStatus, HistoryEntry, OrderChange, OrderDraft, OrderLine, OrderPayment,
        OrderTotals,
    };
    use crate::money::Currency;
    use crate::recommend::{RecommendRequest, RecommenderConfig};
    use crate::store::memory::MemoryStore;

    fn at(minutes: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_767_225_600, 0).expect("valid timestamp")
            + Duration::minutes(minutes)
    }

    fn product(name: &str, sku: &str, stock: Decimal, status: ProductStatus) -> Product {
        let mut variant = Variant::new(sku, Currency::Usd, dec!(10.00));
        variant.stock = stock;
        let mut product = Product::new(name, vec![variant]);
        product.status = status;
        product
    }

    fn order(
        customer: Option<UserId>,
        lines: &[(&Product, Decimal)],
        status: OrderStatus,
        minute: i64,
    ) -> OrderDraft {
        let lines: Vec<OrderLine> = lines
            .iter()
            .map(|(product, quantity)| {
                let variant = &product.variants[0];
                let subtotal = variant.prices[&Currency::Usd] * quantity;
                OrderLine {
                    id: OrderLineId::new(),
                    product_id: product.id,
                    variant_id: variant.id,
                    sku: variant.sku.clone(),
                    name: product.name.clone(),
                    quantity: *quantity,
                    unit_price: variant.prices[&Currency::Usd],
                    subtotal,
                    discount_total: Decimal::ZERO,
                    tax_total: Decimal::ZERO,
                    total: subtotal,
                }
            })
            .collect();
        let total: Decimal = lines.iter().map(|line| line.total).sum();
        OrderDraft {
            order: Order {
                id: OrderId::new(),
                cart_id: None,
                customer_id: customer,
                email: None,
                currency: Currency::Usd,
                status,
                fulfillment_status: FulfillmentStatus::Unfulfilled,
                tracking_number: None,
                payment: OrderPayment::default(),
                prices_include_tax: false,
                lines,
                promotions: Vec::new(),
                shipping_address: None,
                shipping_method: None,
                totals: OrderTotals {
                    subtotal: total,
                    total,
                    ..OrderTotals::default()
                },
                history: vec![HistoryEntry {
                    at: at(minute),
                    actor: Actor::System,
                    change: OrderChange::Placed,
                }],
                created_at: at(minute),
                updated_at: at(minute),
                version: 1,
            },
            redemptions: Vec::new(),
            consume_cart: None,
        }
    }

    #[tokio::test]
    async fn orders_become_interactions_and_the_catalog_the_unavailable_set() {
        let store = MemoryStore::default();
        let tee = product("Tee", "TEE-1", dec!(100), ProductStatus::Active);
        let mug = product("Mug", "MUG-1", dec!(100), ProductStatus::Active);
        let cap = product("Cap", "CAP-1", dec!(100), ProductStatus::Draft);
        let sock = product("Sock", "SOCK-1", dec!(0), ProductStatus::Active);
        for p in [&tee, &mug, &cap, &sock] {
            store.put_product(p.clone()).await.unwrap();
        }
        let (alice, bob) = (UserId::new(), UserId::new());
        let drafts = [
            order(
                Some(alice),
                &[(&tee, dec!(2)), (&mug, dec!(1))],
                OrderStatus::Pending,
                1,
            ),
            order(Some(bob), &[(&tee, dec!(1))], OrderStatus::Delivered, 2),
            order(Some(bob), &[(&cap, dec!(1))], OrderStatus::Cancelled, 3),
            order(None, &[(&mug, dec!(1))], OrderStatus::Pending, 4),
        ];
        for draft in drafts {
            store.place_order(draft, None).await.unwrap();
        }

        let read = interactions_from_orders(&store).await.unwrap();
        assert_eq!(read.orders, 2);
        let mut got: Vec<(UserId, ProductId, f32, i64)> = read
            .interactions
            .iter()
            .map(|i| (i.user, i.item, i.weight, i.timestamp))
            .collect();
        got.sort_by_key(|&(_, _, _, timestamp)| timestamp);
        assert_eq!(got.len(), 3);
        assert!(got.contains(&(alice, tee.id, 2.0, at(1).timestamp())));
        assert!(got.contains(&(alice, mug.id, 1.0, at(1).timestamp())));
        assert_eq!(got[2], (bob, tee.id, 1.0, at(2).timestamp()));

        let unavailable = unavailable_from_catalog(&store).await.unwrap();
        assert_eq!(unavailable, HashSet::from([cap.id, sock.id]));

        let trained = train_from_store(&store, RecommenderConfig::sar())
            .await
            .unwrap();
        assert_eq!(
            trained.counts,
            TrainingCounts {
                orders: 2,
                interactions: 3,
                users: 2,
                products: 2,
            }
        );
        let recommender = trained.recommender.unwrap();
        let for_bob = recommender.recommend_for_user(&bob, &RecommendRequest::top(5).explain(1));
        assert_eq!(for_bob[0].item, mug.id);
        assert_eq!(for_bob[0].because[0].item, tee.id);
    }

    #[tokio::test]
    async fn paging_reads_every_order_and_an_empty_store_trains_nothing() {
        let store = MemoryStore::default();
        let trained = train_from_store(&store, RecommenderConfig::sar())
            .await
            .unwrap();
        assert_eq!(trained.counts, TrainingCounts::default());
        assert!(trained.recommender.is_none());

        let tee = product("Tee", "TEE-1", dec!(10000), ProductStatus::Active);
        store.put_product(tee.clone()).await.unwrap();
        let orders = PAGE_SIZE as usize + 3;
        for minute in 0..orders {
            let draft = order(
                Some(UserId::new()),
                &[(&tee, dec!(1))],
                OrderStatus::Pending,
                minute as i64,
            );
            store.place_order(draft, None).await.unwrap();
        }
        let read = interactions_from_orders(&store).await.unwrap();
        assert_eq!(read.orders, orders);
        assert_eq!(read.interactions.len(), orders);
    }
}
