//! Notifications in the UI: the header bell with its unread count and
//! dropdown, the `/notifications` page, webhooks in settings, and their
//! server functions.

pub mod api;
pub mod bell;
pub mod page;
pub mod time_ago;
pub mod webhooks_card;

pub use bell::NotificationBell;
pub use page::NotificationsPage;
pub use webhooks_card::WebhooksCard;
