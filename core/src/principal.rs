//! Who is asking: the [`Principal`] every service takes, and the access rules that depend on it.
//!
//! Shells authenticate and services authorize. The server turns a bearer token into a
//! [`Principal::User`] (or [`Principal::Guest`] without one); the CLI, the Python engine and the
//! demo loader act as [`Principal::System`], because whoever can open the store already runs the
//! shop. The rules (admin-only writes, a customer's own orders, which products a shopper may see)
//! live here and in the services, so no shell can forget one or apply it differently, and no
//! shell needs an invented admin account to get past them.

use crate::catalog::{Product, ProductStatus};
use crate::error::{Error, Result};
use crate::ids::UserId;
use crate::model::order::{Actor, Order};
use crate::model::user::{Role, User};

/// The caller of a service operation.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Principal {
    /// A shopper without an account.
    Guest,
    /// A signed-in user, as loaded from the store for this request (so roles and status are
    /// current, not what a token said when it was issued).
    User(User),
    /// The engine's operator: the CLI at the terminal, an embedding program, demo seeding. It may
    /// do whatever an admin may; order history records its changes as [`Actor::System`].
    System,
}

impl From<User> for Principal {
    fn from(user: User) -> Principal {
        Principal::User(user)
    }
}

impl From<Option<User>> for Principal {
    /// A signed-in user, or a guest without one.
    fn from(user: Option<User>) -> Principal {
        user.map_or(Principal::Guest, Principal::User)
    }
}

impl Principal {
    /// The signed-in user, if the principal is one.
    pub fn user(&self) -> Option<&User> {
        match self {
            Principal::User(user) => Some(user),
            Principal::Guest | Principal::System => None,
        }
    }

    /// The user id of an active signed-in user.
    pub fn active_user_id(&self) -> Option<UserId> {
        self.user().filter(|u| u.is_active()).map(|u| u.id)
    }

    /// Who order history records for this principal's changes.
    pub fn actor(&self) -> Actor {
        match self {
            Principal::Guest => Actor::Guest,
            Principal::User(user) => Actor::User { user_id: user.id },
            Principal::System => Actor::System,
        }
    }

    /// Whether the principal holds one of `roles` (the system holds every role; a disabled or
    /// deleted account holds none).
    pub fn has_any_role(&self, roles: &[Role]) -> bool {
        match self {
            Principal::System => true,
            Principal::User(user) => user.is_active() && roles.iter().any(|r| user.has_role(*r)),
            Principal::Guest => false,
        }
    }

    /// Whether the principal runs the store: the system, or an active admin.
    pub fn is_admin(&self) -> bool {
        self.has_any_role(&[Role::Admin])
    }

    /// `forbidden` (naming `action`) unless the principal holds one of `roles`.
    pub fn require_any_role(&self, roles: &[Role], action: &str) -> Result<()> {
        if self.has_any_role(roles) {
            Ok(())
        } else {
            Err(Error::Forbidden {
                action: action.into(),
            })
        }
    }

    /// `forbidden` (naming `action`) unless the principal runs the store.
    pub fn require_admin(&self, action: &str) -> Result<()> {
        self.require_any_role(&[Role::Admin], action)
    }

    /// Whether the principal is the active account `user_id`.
    pub fn is_user(&self, user_id: UserId) -> bool {
        self.active_user_id() == Some(user_id)
    }

    /// Whether the principal may read the account `user_id`: their own, or any as an admin.
    pub fn can_view_user(&self, user_id: UserId) -> bool {
        self.is_user(user_id) || self.is_admin()
    }

    /// Whether the principal may read `order`. A customer's order is theirs and the admins'; a
    /// guest order has no owner to check, so its unguessable id is the permission, as for guest
    /// carts.
    pub fn can_view_order(&self, order: &Order) -> bool {
        match order.customer_id {
            None => true,
            Some(owner) => self.is_user(owner) || self.is_admin(),
        }
    }

    /// Whether the principal may see `product`: shoppers see active products only, admins every
    /// status.
    pub fn can_view_product(&self, product: &Product) -> bool {
        product.status == ProductStatus::Active || self.is_admin()
    }

    /// The product status a catalog listing may show: whatever an admin asks for (any when
    /// `None`), and always `active` for everyone else.
    pub fn listable_status(&self, requested: Option<ProductStatus>) -> Option<ProductStatus> {
        if self.is_admin() {
            requested
        } else {
            Some(ProductStatus::Active)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use chrono::Utc;

    use crate::model::user::UserStatus;

    fn user(roles: &[Role]) -> User {
        let now = Utc::now();
        User {
            id: UserId::new(),
            email: "ada@example.com".into(),
            name: "Ada".into(),
            password_hash: String::new(),
            roles: roles.to_vec(),
            status: UserStatus::Active,
            created_at: now,
            updated_at: now,
            deleted_at: None,
            session_generation: 0,
        }
    }

    #[test]
    fn only_the_system_and_active_admins_run_the_store() {
        assert!(Principal::System.is_admin());
        assert!(Principal::User(user(&[Role::Admin])).is_admin());
        assert!(!Principal::User(user(&[Role::Customer])).is_admin());
        assert!(!Principal::Guest.is_admin());
        let mut disabled = user(&[Role::Admin]);
        disabled.status = UserStatus::Inactive;
        assert!(!Principal::User(disabled).is_admin());
        assert!(matches!(
            Principal::User(user(&[Role::Customer])).require_admin("create products"),
            Err(Error::Forbidden { action }) if action == "create products"
        ));
    }

    #[test]
    fn principals_map_to_history_actors() {
        let ada = user(&[Role::Customer]);
        assert_eq!(
            Principal::User(ada.clone()).actor(),
            Actor::User { user_id: ada.id }
        );
        assert_eq!(Principal::System.actor(), Actor::System);
        assert_eq!(Principal::Guest.actor(), Actor::Guest);
        assert_eq!(Principal::from(None), Principal::Guest);
    }
}
