//! Notifications in the UI: the header bell with its unread count and the
//! `/notifications` page.

pub mod api;
pub mod bell;
pub mod page;

pub use bell::NotificationBell;
pub use page::NotificationsPage;
